// trybuild compiles this in target/tests/trybuild/arazzo-tests, which is its CARGO_MANIFEST_DIR;
// the path climbs back to the workspace root.
arazzo_macros::workflows!("../../../../tests/ui/docs/yaml-syntax.arazzo.yaml");

fn main() {}
