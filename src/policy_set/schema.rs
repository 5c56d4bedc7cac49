//! The facts a set reads, as a JSON Schema: what a client may send, for
//! its own validation, forms and documentation.

use serde_json::{json, Map, Value};

use super::PolicySet;
use crate::model::{Element, Fact, FactType, Presence, TimeKind};

impl PolicySet {
    /// A JSON Schema (draft 2020-12) of the facts every policy of the set
    /// reads: the objects on the declared paths, each fact's JSON type (an
    /// enum's values, a time's format), and which facts are required (no
    /// `optional`, no `default`: verdict itself asks for such a fact only
    /// when a decision depends on it, so the schema is the stricter
    /// contract, the one a client can always meet). Keys no fact declares are allowed, as
    /// deciding allows them (unless a policy reads facts strictly). A path
    /// two policies declare takes the first declaration's type, and is
    /// required if either requires it.
    ///
    /// ```
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let schema = policies.facts_schema();
    /// let channel = &schema["properties"]["subscription"]["properties"]["channel"];
    /// assert_eq!(channel["type"], "string");
    /// assert_eq!(channel["enum"][0], "Direct");
    /// assert_eq!(schema["properties"]["partner"]["required"][0], "role");
    ///
    /// // A declaration's doc string is the description, a default the default.
    /// let text = "policy p\nfact tier: {basic pro} at customer.tier default basic \"the plan\"\npro can\n";
    /// let policies = verdict::PolicySet::from_sources([("p.policy", text)]).map_err(|r| r.render(80))?;
    /// let tier = &policies.facts_schema()["properties"]["customer"]["properties"]["tier"];
    /// assert_eq!(tier["description"], "the plan");
    /// assert_eq!(tier["default"], "basic");
    /// # Ok::<(), String>(())
    /// ```
    pub fn facts_schema(&self) -> Value {
        let mut root = Node::default();
        for tree in self.trees() {
            for fact in tree.policy.facts.iter().filter(|f| f.is_declared()) {
                let Some(mut schema) = fact_schema(fact) else {
                    continue;
                };
                if let Some(object) = schema.as_object_mut() {
                    if let Some(doc) = &fact.doc {
                        object.insert(String::from("description"), Value::from(doc.as_str()));
                    }
                    // Sent, never to be shown back.
                    if fact.sensitive {
                        object.insert(String::from("writeOnly"), Value::Bool(true));
                    }
                    if let Some(default) = fact.default.as_deref() {
                        object.insert(String::from("default"), default.clone());
                    }
                }
                let required = matches!(fact.presence, Presence::Required);
                root.insert(&fact.path, schema, required);
            }
        }
        let mut schema = root.to_schema();
        if let Some(object) = schema.as_object_mut() {
            object.insert(
                String::from("$schema"),
                Value::from("https://json-schema.org/draft/2020-12/schema"),
            );
            object.insert(
                String::from("title"),
                Value::from("the facts the policies read"),
            );
        }
        schema
    }
}

/// An object on the declared paths: its keys, each a fact or an object.
#[derive(Default)]
struct Node {
    keys: Vec<(String, Entry)>,
}

enum Entry {
    Fact { schema: Value, required: bool },
    Object { node: Node, required: bool },
}

impl Node {
    fn insert(&mut self, path: &[String], schema: Value, required: bool) {
        let Some((key, rest)) = path.split_first() else {
            return;
        };
        let at = match self.keys.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                let entry = if rest.is_empty() {
                    Entry::Fact {
                        schema: schema.clone(),
                        required: false,
                    }
                } else {
                    Entry::Object {
                        node: Node::default(),
                        required: false,
                    }
                };
                self.keys.push((key.clone(), entry));
                self.keys.len() - 1
            }
        };
        if let Some((_, entry)) = self.keys.get_mut(at) {
            match entry {
                Entry::Fact { required: r, .. } if rest.is_empty() => *r |= required,
                Entry::Object { node, required: r } if !rest.is_empty() => {
                    // An object on the way to a required fact is required.
                    *r |= required;
                    node.insert(rest, schema, required);
                }
                // A path that is a fact in one policy and an object on the
                // way in another: the first declaration stands.
                _ => {}
            }
        }
    }

    fn to_schema(&self) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (key, entry) in &self.keys {
            let (schema, needed) = match entry {
                Entry::Fact { schema, required } => (schema.clone(), *required),
                Entry::Object { node, required } => (node.to_schema(), *required),
            };
            properties.insert(key.clone(), schema);
            if needed {
                required.push(Value::from(key.as_str()));
            }
        }
        let mut schema = Map::new();
        schema.insert(String::from("type"), Value::from("object"));
        schema.insert(String::from("properties"), Value::Object(properties));
        if !required.is_empty() {
            schema.insert(String::from("required"), Value::Array(required));
        }
        Value::Object(schema)
    }
}

/// The schema of one declared fact's value; `None` for facts read from
/// another fact's path (a datetime's local parts).
fn fact_schema(fact: &Fact) -> Option<Value> {
    let element = |element: &Element| match element {
        Element::Enum(values) => json!({ "type": "string", "enum": values }),
        Element::Number => json!({ "type": "number" }),
        Element::String => json!({ "type": "string" }),
    };
    Some(match &fact.ty {
        FactType::Enum(values) => json!({ "type": "string", "enum": values }),
        FactType::Bool => json!({ "type": "boolean" }),
        FactType::Number(_) => json!({ "type": "number" }),
        FactType::String(_) => json!({ "type": "string" }),
        FactType::Set(e) => json!({ "type": "array", "items": element(e) }),
        FactType::Time(kind, _) => match kind {
            TimeKind::Date => json!({ "type": "string", "format": "date" }),
            TimeKind::DateTime => json!({ "type": "string", "format": "date-time" }),
            TimeKind::Duration => json!({ "type": "string", "format": "duration" }),
            TimeKind::Clock => {
                json!({ "type": "string", "pattern": "^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$" })
            }
        },
        FactType::Has(..) | FactType::Relation(_) | FactType::Local(_) => return None,
    })
}
