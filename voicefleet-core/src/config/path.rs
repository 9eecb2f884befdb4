//! Dot paths into a document: `agent_settings.llm.temperature`, `telephony.numbers[0]`.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One step of a [`DotPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// An object key (`llm`).
    Key(String),
    /// An array index (`[0]`), from 0.
    Index(usize),
}

/// A parsed dot path: keys separated by `.`, array items as `[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct DotPath {
    segments: Vec<PathSegment>,
}

impl DotPath {
    /// Parses `a.b[0].c`. Keys may hold any character but `.`, `[` and `]`.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidPath { path: text.to_owned(), reason: reason.to_owned() };
        if text.is_empty() {
            return Err(invalid("the path is empty"));
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(index) => (&part[..index], &part[index..]),
                None => (part, ""),
            };
            if key.is_empty() {
                return Err(invalid("a key between dots is empty"));
            }
            if key.contains(']') {
                return Err(invalid("unmatched `]`"));
            }
            segments.push(PathSegment::Key(key.to_owned()));
            while !rest.is_empty() {
                if !rest.starts_with('[') {
                    return Err(invalid("text after `]` must be `.` or another `[i]`"));
                }
                let close = rest.find(']').ok_or_else(|| invalid("unclosed `[`"))?;
                let index = rest[1..close]
                    .parse::<usize>()
                    .map_err(|_| invalid("an array index must be a non-negative integer"))?;
                segments.push(PathSegment::Index(index));
                rest = &rest[close + 1..];
            }
        }
        Ok(Self { segments })
    }

    /// The steps, outermost first.
    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// This path with one more key.
    pub fn key(&self, key: &str) -> DotPath {
        let mut path = self.clone();
        path.segments.push(PathSegment::Key(key.to_owned()));
        path
    }

    /// This path with one more array index.
    pub fn index(&self, index: usize) -> DotPath {
        let mut path = self.clone();
        path.segments.push(PathSegment::Index(index));
        path
    }

    fn prefix(&self, len: usize) -> DotPath {
        DotPath { segments: self.segments[..len].to_vec() }
    }
}

impl fmt::Display for DotPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.segments.iter().enumerate() {
            match segment {
                PathSegment::Key(key) if position == 0 => write!(f, "{key}")?,
                PathSegment::Key(key) => write!(f, ".{key}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Text given on a command line or in a form: JSON when it parses as JSON, else a plain string
/// (`0.3` is a number, `true` a boolean, `gpt-4.1` a string).
pub fn parse_value_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn not_found(path: &DotPath, depth: usize, parent: &Value) -> Error {
    let available = match parent {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(items) if !items.is_empty() => vec![format!("[0] to [{}]", items.len() - 1)],
        _ => Vec::new(),
    };
    Error::PathNotFound { path: path.prefix(depth + 1).to_string(), available }
}

fn not_a_container(path: &DotPath, depth: usize, found: &Value, wanted: &str) -> Error {
    Error::InvalidPath {
        path: path.to_string(),
        reason: format!("`{}` is {}, not {wanted}", path.prefix(depth), super::load::json_type_name(found)),
    }
}

pub(crate) fn get<'a>(root: &'a Map<String, Value>, path: &DotPath) -> Result<&'a Value> {
    let (first, rest) = path.segments.split_first().expect("a parsed path has a segment");
    let PathSegment::Key(first) = first else {
        return Err(Error::InvalidPath {
            path: path.to_string(),
            reason: "the document root is an object, not an array".to_owned(),
        });
    };
    let mut current = root.get(first).ok_or_else(|| Error::PathNotFound {
        path: first.clone(),
        available: root.keys().cloned().collect(),
    })?;
    for (offset, segment) in rest.iter().enumerate() {
        let depth = offset + 1;
        current = match (segment, current) {
            (PathSegment::Key(key), Value::Object(map)) => {
                map.get(key).ok_or_else(|| not_found(path, depth, current))?
            }
            (PathSegment::Index(index), Value::Array(items)) => {
                items.get(*index).ok_or_else(|| not_found(path, depth, current))?
            }
            (PathSegment::Key(_), other) => {
                return Err(not_a_container(path, depth, other, "an object"));
            }
            (PathSegment::Index(_), other) => {
                return Err(not_a_container(path, depth, other, "an array"));
            }
        };
    }
    Ok(current)
}

pub(crate) fn set(root: &mut Map<String, Value>, path: &DotPath, value: Value) -> Result<()> {
    let (last, parents) = path.segments.split_last().expect("a parsed path has a segment");
    let mut current = RootOrValue::Root(root);
    for (depth, segment) in parents.iter().enumerate() {
        let next_is_index = matches!(path.segments[depth + 1], PathSegment::Index(_));
        current = current.child_or_create(path, depth, segment, next_is_index)?;
    }
    current.put(path, parents.len(), last, value)
}

pub(crate) fn unset(root: &mut Map<String, Value>, path: &DotPath) -> Result<Value> {
    let (last, parents) = path.segments.split_last().expect("a parsed path has a segment");
    let mut current = RootOrValue::Root(root);
    for (depth, segment) in parents.iter().enumerate() {
        current = current.existing_child(path, depth, segment)?;
    }
    current.remove(path, parents.len(), last)
}

/// The root map or a value inside it, so walks need no copy of the root.
enum RootOrValue<'a> {
    Root(&'a mut Map<String, Value>),
    Value(&'a mut Value),
}

impl<'a> RootOrValue<'a> {
    fn existing_child(self, path: &DotPath, depth: usize, segment: &PathSegment) -> Result<RootOrValue<'a>> {
        match (segment, self) {
            (PathSegment::Key(key), RootOrValue::Root(map)) => {
                let available: Vec<String> = map.keys().cloned().collect();
                map.get_mut(key)
                    .map(RootOrValue::Value)
                    .ok_or(Error::PathNotFound { path: path.prefix(depth + 1).to_string(), available })
            }
            (PathSegment::Index(_), RootOrValue::Root(map)) => {
                Err(not_a_container(path, depth, &Value::Object(map.clone()), "an array"))
            }
            (segment, RootOrValue::Value(value)) => {
                let snapshot = value.clone();
                let child = match (segment, value) {
                    (PathSegment::Key(key), Value::Object(map)) => map.get_mut(key),
                    (PathSegment::Index(index), Value::Array(items)) => items.get_mut(*index),
                    (PathSegment::Key(_), other) => {
                        return Err(not_a_container(path, depth, other, "an object"));
                    }
                    (PathSegment::Index(_), other) => {
                        return Err(not_a_container(path, depth, other, "an array"));
                    }
                };
                child.map(RootOrValue::Value).ok_or_else(|| not_found(path, depth, &snapshot))
            }
        }
    }

    fn child_or_create(
        self,
        path: &DotPath,
        depth: usize,
        segment: &PathSegment,
        next_is_index: bool,
    ) -> Result<RootOrValue<'a>> {
        let empty = || if next_is_index { Value::Array(Vec::new()) } else { Value::Object(Map::new()) };
        match (segment, self) {
            (PathSegment::Key(key), RootOrValue::Root(map)) => {
                Ok(RootOrValue::Value(map.entry(key.clone()).or_insert_with(empty)))
            }
            (PathSegment::Key(key), RootOrValue::Value(Value::Object(map))) => {
                Ok(RootOrValue::Value(map.entry(key.clone()).or_insert_with(empty)))
            }
            (PathSegment::Index(index), RootOrValue::Value(Value::Array(items))) => {
                if *index == items.len() {
                    items.push(empty());
                }
                let len = items.len();
                items.get_mut(*index).map(RootOrValue::Value).ok_or_else(|| Error::InvalidPath {
                    path: path.to_string(),
                    reason: format!(
                        "index {index} is past the end of `{}` (length {len})",
                        path.prefix(depth)
                    ),
                })
            }
            (PathSegment::Index(_), RootOrValue::Root(_)) => Err(Error::InvalidPath {
                path: path.to_string(),
                reason: "the document root is an object, not an array".to_owned(),
            }),
            (PathSegment::Key(_), RootOrValue::Value(other)) => {
                Err(not_a_container(path, depth, other, "an object"))
            }
            (PathSegment::Index(_), RootOrValue::Value(other)) => {
                Err(not_a_container(path, depth, other, "an array"))
            }
        }
    }

    fn put(self, path: &DotPath, depth: usize, segment: &PathSegment, value: Value) -> Result<()> {
        match (segment, self) {
            (PathSegment::Key(key), RootOrValue::Root(map)) => {
                map.insert(key.clone(), value);
                Ok(())
            }
            (PathSegment::Key(key), RootOrValue::Value(Value::Object(map))) => {
                map.insert(key.clone(), value);
                Ok(())
            }
            (PathSegment::Index(index), RootOrValue::Value(Value::Array(items))) => {
                match (*index).cmp(&items.len()) {
                    std::cmp::Ordering::Less => items[*index] = value,
                    std::cmp::Ordering::Equal => items.push(value),
                    std::cmp::Ordering::Greater => {
                        return Err(Error::InvalidPath {
                            path: path.to_string(),
                            reason: format!(
                                "index {index} is past the end of `{}` (length {}); use [{}] to append",
                                path.prefix(depth),
                                items.len(),
                                items.len()
                            ),
                        });
                    }
                }
                Ok(())
            }
            (PathSegment::Index(_), RootOrValue::Root(_)) => Err(Error::InvalidPath {
                path: path.to_string(),
                reason: "the document root is an object, not an array".to_owned(),
            }),
            (PathSegment::Key(_), RootOrValue::Value(other)) => {
                Err(not_a_container(path, depth, other, "an object"))
            }
            (PathSegment::Index(_), RootOrValue::Value(other)) => {
                Err(not_a_container(path, depth, other, "an array"))
            }
        }
    }

    fn remove(self, path: &DotPath, depth: usize, segment: &PathSegment) -> Result<Value> {
        match (segment, self) {
            (PathSegment::Key(key), RootOrValue::Root(map)) => {
                let available: Vec<String> = map.keys().cloned().collect();
                map.shift_remove(key).ok_or(Error::PathNotFound { path: path.to_string(), available })
            }
            (PathSegment::Key(key), RootOrValue::Value(Value::Object(map))) => {
                let available: Vec<String> = map.keys().cloned().collect();
                map.shift_remove(key).ok_or(Error::PathNotFound { path: path.to_string(), available })
            }
            (PathSegment::Index(index), RootOrValue::Value(Value::Array(items))) => {
                if *index < items.len() {
                    Ok(items.remove(*index))
                } else {
                    Err(not_found(path, depth, &Value::Array(items.clone())))
                }
            }
            (PathSegment::Index(_), RootOrValue::Root(_)) => Err(Error::InvalidPath {
                path: path.to_string(),
                reason: "the document root is an object, not an array".to_owned(),
            }),
            (PathSegment::Key(_), RootOrValue::Value(other)) => {
                Err(not_a_container(path, depth, other, "an object"))
            }
            (PathSegment::Index(_), RootOrValue::Value(other)) => {
                Err(not_a_container(path, depth, other, "an array"))
            }
        }
    }
}
