//! Parsing a pushed manifest far enough to validate it and to find what it references.
//!
//! The bytes are stored as pushed; parsing only extracts the descriptors the registry must check
//! (config, layers, child manifests, subject) and refuses what no client could pull.

use serde_json::{Map, Value};

use super::digest::Digest;
use super::media;

/// A descriptor: the media type, digest and size of referenced content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    /// Content fetched from elsewhere (foreign or non-distributable layers): not required to be
    /// in the registry.
    pub external: bool,
    pub artifact_type: Option<String>,
    pub platform: Option<Value>,
    pub annotations: Option<Map<String, Value>>,
}

/// What the registry needs to know about a manifest it stores.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub media_type: String,
    /// Blobs the manifest references: its config and layers.
    pub blobs: Vec<Descriptor>,
    /// Manifests an index lists.
    pub children: Vec<Descriptor>,
    pub subject: Option<Descriptor>,
    pub artifact_type: Option<String>,
    pub config_media_type: Option<String>,
    pub annotations: Option<Map<String, Value>>,
}

impl Manifest {
    /// The artifact type a referrers listing reports: the manifest's own, else its config's.
    pub fn effective_artifact_type(&self) -> Option<&str> {
        self.artifact_type.as_deref().or(self.config_media_type.as_deref())
    }
}

/// Parses `bytes` sent with `content_type` (the request's Content-Type, if any).
pub fn parse(content_type: Option<&str>, bytes: &[u8]) -> Result<Manifest, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("manifest is not valid JSON: {e}"))?;
    let object = value.as_object().ok_or("manifest is not a JSON object")?;

    let declared = match object.get("mediaType") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("mediaType must be a string".into()),
    };
    let header = content_type.map(media::essence).filter(|c| is_manifest_type(c));
    let media_type = match (declared, header) {
        (Some(declared), Some(header)) if declared != header => {
            return Err(format!("mediaType {declared:?} does not match Content-Type {header:?}"));
        }
        (Some(declared), _) => declared,
        (None, Some(header)) => header,
        (None, None) if object.contains_key("manifests") => media::OCI_INDEX.to_owned(),
        (None, None) => media::OCI_MANIFEST.to_owned(),
    };

    if media_type == media::DOCKER_SCHEMA1 || media_type == media::DOCKER_SCHEMA1_SIGNED {
        return Err("Docker schema 1 manifests are not supported".into());
    }
    if !is_manifest_type(&media_type) {
        return Err(format!("unsupported manifest media type {media_type:?}"));
    }
    if object.get("schemaVersion").and_then(Value::as_u64) != Some(2) {
        return Err("schemaVersion must be 2".into());
    }

    let mut manifest = Manifest {
        media_type: media_type.clone(),
        blobs: Vec::new(),
        children: Vec::new(),
        subject: optional_descriptor(object, "subject")?,
        artifact_type: optional_string(object, "artifactType")?,
        config_media_type: None,
        annotations: optional_annotations(object)?,
    };
    if media::is_index(&media_type) {
        manifest.children = descriptor_list(object, "manifests")?;
    } else {
        let config = object.get("config").ok_or("manifest lacks a config descriptor")?;
        let config = descriptor(config).map_err(|e| format!("config: {e}"))?;
        manifest.config_media_type = Some(config.media_type.clone());
        manifest.blobs.push(config);
        if object.contains_key("layers") || media_type != media::OCI_MANIFEST {
            manifest.blobs.extend(descriptor_list(object, "layers")?);
        }
    }
    Ok(manifest)
}

fn is_manifest_type(media_type: &str) -> bool {
    [media::OCI_MANIFEST, media::OCI_INDEX, media::DOCKER_MANIFEST, media::DOCKER_MANIFEST_LIST]
        .contains(&media_type)
}

fn descriptor_list(object: &Map<String, Value>, field: &str) -> Result<Vec<Descriptor>, String> {
    let list = object
        .get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("manifest lacks the {field:?} array"))?;
    list.iter()
        .enumerate()
        .map(|(i, d)| descriptor(d).map_err(|e| format!("{field}[{i}]: {e}")))
        .collect()
}

fn optional_descriptor(
    object: &Map<String, Value>,
    field: &str,
) -> Result<Option<Descriptor>, String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => descriptor(value).map(Some).map_err(|e| format!("{field}: {e}")),
    }
}

fn optional_string(object: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{field} must be a string")),
    }
}

fn optional_annotations(object: &Map<String, Value>) -> Result<Option<Map<String, Value>>, String> {
    match object.get("annotations") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) if map.values().all(Value::is_string) => Ok(Some(map.clone())),
        Some(_) => Err("annotations must map strings to strings".into()),
    }
}

fn descriptor(value: &Value) -> Result<Descriptor, String> {
    let object = value.as_object().ok_or("descriptor is not an object")?;
    let media_type = object
        .get("mediaType")
        .and_then(Value::as_str)
        .ok_or("descriptor lacks a mediaType")?
        .to_owned();
    let digest = object.get("digest").and_then(Value::as_str).ok_or("descriptor lacks a digest")?;
    let digest = Digest::parse(digest).map_err(|e| e.0)?;
    let size = object
        .get("size")
        .and_then(Value::as_u64)
        .ok_or("descriptor lacks a non-negative integer size")?;
    let has_urls = object.get("urls").and_then(Value::as_array).is_some_and(|u| !u.is_empty());
    let non_distributable =
        media_type.contains("nondistributable") || media_type.contains(".foreign.");
    Ok(Descriptor {
        media_type,
        digest,
        size,
        external: has_urls || non_distributable,
        artifact_type: optional_string(object, "artifactType")?,
        platform: object.get("platform").cloned(),
        annotations: optional_annotations(object)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: &[u8] = include_bytes!("../../tests/fixtures/m1.json");

    #[test]
    fn an_image_manifest_references_its_config_and_layers() {
        let m = parse(Some(media::OCI_MANIFEST), M1).unwrap();
        assert_eq!(m.media_type, media::OCI_MANIFEST);
        assert_eq!(m.blobs.len(), 2);
        assert_eq!(
            m.config_media_type.as_deref(),
            Some("application/vnd.oci.image.config.v1+json")
        );
    }

    #[test]
    fn a_manifest_without_media_type_takes_the_content_type() {
        let body = br#"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        assert_eq!(parse(Some(media::OCI_MANIFEST), body).unwrap().media_type, media::OCI_MANIFEST);
        assert_eq!(parse(None, body).unwrap().media_type, media::OCI_MANIFEST);
    }

    #[test]
    fn index_entries_need_no_platform() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b5d72700b89ba18d99fbf7ce953b9f6f72a77dd76df04776d1f3e87c033a016a","size":392,"platform":{"architecture":"unknown","os":"unknown"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b5d72700b89ba18d99fbf7ce953b9f6f72a77dd76df04776d1f3e87c033a016a","size":392}]}"#;
        assert_eq!(parse(Some(media::OCI_INDEX), body).unwrap().children.len(), 2);
    }

    #[test]
    fn malformed_manifests_are_refused() {
        assert!(parse(None, b"not json").is_err());
        assert!(parse(None, b"[]").is_err());
        assert!(parse(None, br#"{"schemaVersion":1}"#).is_err());
        assert!(parse(Some(media::OCI_INDEX), M1).is_err(), "mediaType differs from Content-Type");
        let bad_digest = String::from_utf8_lossy(M1).replace("sha256:5c4c", "sha256:XXXX");
        assert!(parse(None, bad_digest.as_bytes()).is_err());
    }
}
