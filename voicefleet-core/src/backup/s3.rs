//! S3 as a backup target (feature `aws`): `s3://bucket/prefix`, objects `prefix/NAME`. The
//! client takes its region, credentials and endpoint the SDK's usual way (environment, profile,
//! instance profile); with an endpoint override (`AWS_ENDPOINT_URL`, an S3-compatible store)
//! it uses path-style addresses.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use super::target::BackupTarget;
use crate::error::{Error, Result};

#[derive(Debug)]
pub(crate) struct S3Target {
    bucket: String,
    prefix: String,
    client: tokio::sync::OnceCell<Client>,
}

impl S3Target {
    /// From what follows `s3://`: `bucket` or `bucket/prefix`.
    pub(crate) fn from_spec(rest: &str) -> Result<S3Target> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::InvalidValue {
                value: format!("s3://{rest}"),
                reason: "give s3://BUCKET/PREFIX".to_owned(),
            });
        }
        Ok(S3Target {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            client: tokio::sync::OnceCell::new(),
        })
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async {
                let shared = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
                let mut config = aws_sdk_s3::config::Builder::from(&shared);
                if shared.endpoint_url().is_some() {
                    config = config.force_path_style(true);
                }
                Client::from_conf(config.build())
            })
            .await
    }

    fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() { name.to_owned() } else { format!("{}/{name}", self.prefix) }
    }

    fn failed(&self, what: &str, key: &str, error: impl std::error::Error) -> Error {
        Error::Unavailable {
            message: format!("S3 {what} s3://{}/{key} failed: {}", self.bucket, DisplayErrorContext(error)),
        }
    }
}

#[async_trait::async_trait]
impl BackupTarget for S3Target {
    fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    async fn put(&self, name: &str, contents: Vec<u8>) -> Result<()> {
        let key = self.key(name);
        self.client()
            .await
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(ByteStream::from(contents))
            .send()
            .await
            .map_err(|e| self.failed("upload to", &key, e))?;
        Ok(())
    }

    async fn get(&self, name: &str) -> Result<Vec<u8>> {
        let key = self.key(name);
        let answer = self.client().await.get_object().bucket(&self.bucket).key(&key).send().await.map_err(
            |error| {
                if error.as_service_error().is_some_and(|e| e.is_no_such_key()) {
                    Error::BackupNotFound { target: self.describe(), name: Some(name.to_owned()) }
                } else {
                    self.failed("download of", &key, error)
                }
            },
        )?;
        let body = answer.body.collect().await.map_err(|e| self.failed("download of", &key, e))?;
        Ok(body.into_bytes().to_vec())
    }

    async fn list(&self) -> Result<Vec<String>> {
        let client = self.client().await;
        let prefix = if self.prefix.is_empty() { String::new() } else { format!("{}/", self.prefix) };
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        // Bounded: a million objects at a thousand a page.
        for _ in 0..1000 {
            let answer = client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.failed("listing of", &prefix, e))?;
            for object in answer.contents() {
                if let Some(name) = object.key().and_then(|key| key.strip_prefix(&prefix))
                    && !name.contains('/')
                {
                    names.push(name.to_owned());
                }
            }
            match answer.next_continuation_token() {
                Some(next) if answer.is_truncated().unwrap_or(false) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(names)
    }

    async fn delete(&self, name: &str) -> Result<()> {
        let key = self.key(name);
        self.client()
            .await
            .delete_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| self.failed("removal of", &key, e))?;
        Ok(())
    }
}
