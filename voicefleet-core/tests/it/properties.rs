//! Property tests over dot paths and document mutations.

use proptest::prelude::*;
use serde_json::{Value, json};
use voicefleet_core::config::{ConfigDocument, DotPath, template, template_names};

/// Every dot path reachable in a value (objects by key, arrays by index).
fn reachable_paths(value: &Value, prefix: &DotPath, out: &mut Vec<DotPath>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = prefix.key(key);
                out.push(path.clone());
                reachable_paths(child, &path, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let path = prefix.index(index);
                out.push(path.clone());
                reachable_paths(child, &path, out);
            }
        }
        _ => {}
    }
}

fn all_paths(document: &ConfigDocument) -> Vec<DotPath> {
    let mut paths = Vec::new();
    reachable_paths(&document.as_value(), &DotPath::default(), &mut paths);
    paths
}

/// Every path in a JSON value, as text.
fn all_paths_of(value: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    reachable_paths(value, &DotPath::default(), &mut paths);
    paths.iter().map(ToString::to_string).collect()
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(|f| json!(f)),
        "[a-z0-9+:/._ -]{0,12}".prop_map(Value::from),
        Just(json!("secret://x")),
        Just(json!("+15551234567")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// True when `path` names something in `value`, or is the parent of something in it.
fn exists(value: &Value, path: &str) -> bool {
    let Ok(parsed) = DotPath::parse(path) else { return false };
    let document = ConfigDocument::from_value(value.clone()).unwrap();
    document.get(&parsed.to_string()).is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// `set` of a path to its own value leaves the document equal.
    #[test]
    fn set_to_own_value_is_identity(template_index in 0usize..4, pick in any::<prop::sample::Index>()) {
        let name = template_names()[template_index];
        let mut document = template(name).unwrap();
        let paths = all_paths(&document);
        let path = pick.get(&paths).to_string();
        let before = document.clone();
        let own = document.get(&path).unwrap().clone();
        document.set(&path, own).unwrap();
        prop_assert_eq!(document, before);
    }

    /// Random mutations never panic; every reported path exists, or is the parent of the mutated
    /// key (a required field that went missing), or is the mutated path itself.
    #[test]
    fn random_mutations_never_panic_and_report_real_paths(
        template_index in 0usize..4,
        pick in any::<prop::sample::Index>(),
        new_value in any_json(),
        remove in any::<bool>(),
        extra_key in prop::option::of("[a-z_]{1,10}"),
    ) {
        let document = template(template_names()[template_index]).unwrap();
        let paths = all_paths(&document);
        let target = pick.get(&paths).clone();
        let mut value = document.as_value();
        let target_text = match &extra_key {
            Some(key) => target.key(key).to_string(),
            None => target.to_string(),
        };
        mutate(&mut value, &target, extra_key.as_deref(), new_value, remove);
        let Ok(mutated) = ConfigDocument::from_value(value.clone()) else { return Ok(()) };
        let validation = mutated.validate();
        for issue in &validation.issues {
            let ok = issue.path.is_empty()
                || exists(&value, &issue.path)
                || target_text.starts_with(&issue.path)
                || issue.path.starts_with(&target_text)
                || parent_exists(&value, &issue.path);
            prop_assert!(ok, "issue at {} after mutating {}: {:?}", issue.path, target_text, issue);
        }
        // The mutation result must also be safe to diff, hash and redact, and each keeps its promise.
        prop_assert!(mutated.diff(&mutated).is_empty(), "a document differs from itself");
        let hash = mutated.content_hash();
        prop_assert!(hash.starts_with("sha256:") && hash.len() == 7 + 64, "hash {hash}");
        prop_assert_eq!(&hash, &ConfigDocument::from_value(value.clone()).unwrap().content_hash());
        let changes = mutated.diff(&document);
        if !changes.is_empty() {
            prop_assert_ne!(&hash, &document.content_hash(), "changes {:?} with the same hash", changes);
        }
        let redacted = mutated.redacted();
        prop_assert_eq!(all_paths_of(&redacted), all_paths_of(&value), "redaction changed the shape");
        let again = ConfigDocument::from_value(redacted.clone()).unwrap().redacted();
        prop_assert_eq!(again, redacted, "redaction is not idempotent");
    }
}

/// A missing required field is reported at a path that does not exist, under one that does.
fn parent_exists(value: &Value, path: &str) -> bool {
    match path.rsplit_once('.') {
        Some((parent, _)) => exists(value, parent),
        None => true, // a missing top-level field: its parent is the root
    }
}

fn mutate(value: &mut Value, target: &DotPath, extra_key: Option<&str>, new_value: Value, remove: bool) {
    use voicefleet_core::config::PathSegment;
    let segments = target.segments();
    let mut current = value;
    let (last, parents) = match extra_key {
        Some(_) => (None, segments),
        None => (segments.last(), &segments[..segments.len() - 1]),
    };
    for segment in parents {
        current = match (segment, current) {
            (PathSegment::Key(key), Value::Object(map)) => map.get_mut(key).unwrap(),
            (PathSegment::Index(index), Value::Array(items)) => &mut items[*index],
            _ => unreachable!(),
        };
    }
    match (last, extra_key, current) {
        (None, Some(key), Value::Object(map)) => {
            map.insert(key.to_owned(), new_value);
        }
        (None, Some(_), other) => *other = new_value,
        (Some(PathSegment::Key(key)), _, Value::Object(map)) => {
            if remove {
                map.shift_remove(key);
            } else {
                map.insert(key.clone(), new_value);
            }
        }
        (Some(PathSegment::Index(index)), _, Value::Array(items)) => {
            if remove {
                items.remove(*index);
            } else {
                items[*index] = new_value;
            }
        }
        _ => unreachable!(),
    }
}
