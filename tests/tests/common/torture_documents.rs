// The torture documents, for `include!` after a `fixtures!` macro that makes a module of each:
// tests/torture.rs expands them plain, tests/durable.rs with `durable = true`.
fixtures! {
    names: "workflows/torture/names.arazzo.yaml";
    schemas: "workflows/torture/schemas.arazzo.yaml";
    flow: "workflows/torture/flow.arazzo.yaml";
    recursive_array: "workflows/torture/recursive-array.arazzo.yaml";
    recursive_map: "workflows/torture/recursive-map.arazzo.yaml";
    recursive_anyof_null: "workflows/torture/recursive-anyof-null.arazzo.yaml";
    superscript_name: "workflows/torture/superscript-name.arazzo.yaml";
    type_name_collision_doc: "workflows/torture/type-name-collision.arazzo.yaml";
    allof_properties_doc: "workflows/torture/allof-properties.arazzo.yaml";
    union_navigation_doc: "workflows/torture/union-navigation.arazzo.yaml";
    header_numeric_compare_doc: "workflows/torture/header-numeric-compare.arazzo.yaml";
    pointer_space: "workflows/torture/pointer-space.arazzo.yaml";
    dotted_output: "workflows/torture/dotted-output.arazzo.yaml";
    workflow_output_pointer_doc: "workflows/torture/workflow-output-pointer.arazzo.yaml";
    workflow_action_field_doc: "workflows/torture/workflow-action-field.arazzo.yaml";
    workflow_action_status_call_step_doc: "workflows/torture/workflow-action-status-call-step.arazzo.yaml";
    schema_edges: "workflows/torture/schema-edges.arazzo.yaml";
    request_in_output_doc: "workflows/torture/request-in-output.arazzo.yaml";
    actions_and_payloads: "workflows/torture/actions-and-payloads.arazzo.yaml";
    constant_properties: "workflows/torture/openapi/constant-properties.arazzo.yaml";
    dotted_operation_id: "workflows/torture/openapi/dotted-operation-id.arazzo.yaml";
    percent_encoded_path: "workflows/torture/openapi/percent-encoded-path.arazzo.yaml";
    boolean_header: "workflows/torture/openapi/boolean-header.arazzo.yaml";
    nested_containers: "workflows/torture/openapi/nested-containers.arazzo.yaml";
    markdown_descriptions: "workflows/torture/openapi/markdown-descriptions.arazzo.yaml";
    multi_value_tag: "workflows/torture/openapi/multi-value-tag.arazzo.yaml";
    list_parameters: "workflows/torture/list-parameters.arazzo.yaml";
    path_item_ref: "workflows/torture/openapi/path-item-ref.arazzo.yaml";
    two_success_responses: "workflows/torture/openapi/two-success-responses.arazzo.yaml";
    dotted_ids: "workflows/torture/dotted-ids.arazzo.yaml";
    text_body: "workflows/torture/openapi/text-body.arazzo.yaml";
    criteria: "workflows/torture/criteria.arazzo.yaml";
}
