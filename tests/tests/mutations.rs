//! No panic on broken input: thousands of random mutants of the seeds and of the acceptance
//! corpus go through `check` and `generate`, which must report, never panic.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use arazzo_codegen::Settings;

const MUTANTS_PER_DOC: usize = 160;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = entry.path();
        let dest = to.join(entry.file_name());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

/// Values that appear after `key: ` in the document, to swap in elsewhere.
fn values(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(": ").map(|(_, v)| v.to_string()))
        .filter(|v| !v.is_empty())
        .collect()
}

fn mutate(text: &str, pool: &[String], rng: &mut XorShift) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let rounds = 1 + rng.below(3);
    let mut out = text.to_string();
    for _ in 0..rounds {
        let n = lines.len().max(1);
        match rng.below(6) {
            0 if !lines.is_empty() => {
                lines.remove(rng.below(n));
            }
            1 if lines.len() > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                lines.swap(a, b);
            }
            2 => {
                let joined = lines.join("\n");
                let mut cut = rng.below(joined.len() + 1);
                while !joined.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = joined[..cut].lines().map(str::to_string).collect();
            }
            3 if !lines.is_empty() => {
                let i = rng.below(n);
                let dup = lines[i].clone();
                lines.insert(i, dup);
            }
            4 if !lines.is_empty() && !pool.is_empty() => {
                let i = rng.below(n);
                let v = &pool[rng.below(pool.len())];
                if let Some((k, _)) = lines[i].split_once(": ") {
                    lines[i] = format!("{k}: {v}");
                }
            }
            _ if !lines.is_empty() => {
                const PUNCT: &[&str] = &[
                    "{", "}", "[", "]", ":", "'", "\"", "#", "&", "*", "!", "|", ">", "-", ",", "%", "@",
                    "`", "$", "~1", "\t", "{$", "$.", "$[?",
                ];
                let i = rng.below(n);
                let p = PUNCT[rng.below(PUNCT.len())];
                let mut at = rng.below(lines[i].len() + 1);
                while !lines[i].is_char_boundary(at) {
                    at -= 1;
                }
                lines[i].insert_str(at, p);
            }
            _ => {}
        }
        out = lines.join("\n");
        out.push('\n');
    }
    out
}

#[test]
fn mutants_never_panic() {
    let tmp = std::env::temp_dir().join(format!("arazzo-mutants-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    // (copied tree root, document path relative to it)
    let mut docs: Vec<(PathBuf, PathBuf)> = Vec::new();
    let seeds = tmp.join("seeds");
    copy_tree(&workspace().join("workflows"), &seeds.join("workflows"));
    for seed in ["batch-process-and-retrieve-results", "cancel-and-confirm-batch"] {
        docs.push((seeds.clone(), PathBuf::from(format!("workflows/arazzo/{seed}.arazzo.yaml"))));
    }
    if let Some(corpus) = arazzo_tests::shared("arazzo-corpus") {
        let copy = tmp.join("corpus");
        copy_tree(&corpus, &copy);
        let mut found = Vec::new();
        collect_arazzo(&copy, &copy, &mut found);
        found.sort();
        for rel in found {
            docs.push((copy.clone(), rel));
        }
    }
    let per_doc = MUTANTS_PER_DOC.max(3000 / docs.len() + 1);
    let total = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get()).min(16);
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut failures = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= docs.len() {
                            break;
                        }
                        let (root, rel) = &docs[k];
                        let original =
                            std::fs::read_to_string(root.join(rel)).expect("readable").replace("%s", "");
                        let pool = values(&original);
                        let mut rng = XorShift(
                            0x9E37_79B9_7F4A_7C15 ^ (k as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D),
                        );
                        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("doc");
                        let mutant_rel = rel.with_file_name(format!("__mutant__{name}"));
                        let settings = Settings { base_dir: root.clone(), ..Default::default() };
                        for _ in 0..per_doc {
                            let mutant = mutate(&original, &pool, &mut rng);
                            std::fs::write(root.join(&mutant_rel), &mutant).expect("write mutant");
                            let result = std::panic::catch_unwind(|| {
                                match arazzo_codegen::generate(&mutant_rel, &settings) {
                                    Ok(g) => drop(g),
                                    Err(checked) => drop(checked.render()),
                                }
                            });
                            total.fetch_add(1, Ordering::Relaxed);
                            if result.is_err() {
                                failures.push(format!("panic on a mutant of {}:\n{mutant}", rel.display()));
                            }
                        }
                    }
                    failures
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker")).collect()
    });
    let _ = std::fs::remove_dir_all(&tmp);
    let total = total.into_inner();
    eprintln!("{total} mutants of {} documents", docs.len());
    assert!(total >= 3000, "only {total} mutants");
    assert!(failures.is_empty(), "{} panics; first:\n{}", failures.len(), failures[0]);
}

/// Arazzo documents (they have a top-level `arazzo:` key) under `dir`, relative to `root`.
fn collect_arazzo(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_arazzo(root, &p, out);
        } else if p.extension().is_some_and(|e| e == "yaml")
            && std::fs::read_to_string(&p).is_ok_and(|t| t.lines().any(|l| l.starts_with("arazzo:")))
        {
            out.push(p.strip_prefix(root).expect("under root").to_path_buf());
        }
    }
}
