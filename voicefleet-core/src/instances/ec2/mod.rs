//! The EC2 instance provider (feature `aws`): [`Ec2Provider`] implements
//! [`InstanceProvider`](crate::instances::InstanceProvider) with `aws-sdk-ec2`.
//!
//! Region and credentials come from the SDK's standard chain (environment, profile, instance
//! profile) unless [`Ec2Options`] sets them; an endpoint override points it at a compatible
//! cloud or an emulator. The SDK's own retries are off: every call is retried here on
//! throttling and transient failures with [`Backoff`] (exponential, full jitter), so the policy
//! is one the crate tests. `failure.rs` sorts errors; `convert.rs` reads EC2's types.

mod convert;
mod failure;

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types as ec2;

use self::convert::Checks;
use self::failure::{Failure, classify};
use super::backoff::Backoff;
use super::provider::InstanceProvider;
use super::types::{CUSTOMER_TAG, Instance, InstanceAction, LaunchSpec};
use crate::customer::CustomerId;
use crate::error::{Error, Result};

/// Fixed credentials, instead of the SDK's chain (a compatible cloud, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// The access key id (`AKIA…`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

/// How to reach EC2.
#[derive(Debug, Clone, Default)]
pub struct Ec2Options {
    /// The region; `None` takes the SDK's (`AWS_REGION`, the profile).
    pub region: Option<String>,
    /// Another endpoint than AWS's (`http://127.0.0.1:5000`); `None` takes the SDK's
    /// (`AWS_ENDPOINT_URL` when set).
    pub endpoint: Option<url::Url>,
    /// `None` takes the SDK's credentials chain.
    pub credentials: Option<StaticCredentials>,
    /// How throttled or failed calls are retried.
    pub backoff: Backoff,
    /// Instances per DescribeInstances page (5 to 1000); `None` lets EC2 choose.
    pub page_size: Option<i32>,
}

/// Customer hosts on EC2.
#[derive(Debug, Clone)]
pub struct Ec2Provider {
    client: Client,
    region: String,
    backoff: Backoff,
    page_size: Option<i32>,
}

impl Ec2Provider {
    /// Loads the SDK's configuration and builds the client (no call is made yet).
    pub async fn connect(options: Ec2Options) -> Result<Ec2Provider> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = &options.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(endpoint) = &options.endpoint {
            loader = loader.endpoint_url(endpoint.as_str().trim_end_matches('/'));
        }
        if let Some(credentials) = &options.credentials {
            loader = loader.credentials_provider(aws_sdk_ec2::config::Credentials::new(
                credentials.access_key_id.clone(),
                credentials.secret_access_key.clone(),
                None,
                None,
                "voicefleet",
            ));
        }
        let shared = loader.load().await;
        let Some(region) = shared.region().map(|r| r.to_string()) else {
            return Err(Error::InvalidValue {
                value: "AWS region".to_owned(),
                reason: "none is set: set AWS_REGION (or the profile's region) to where the hosts run"
                    .to_owned(),
            });
        };
        let config = aws_sdk_ec2::config::Builder::from(&shared)
            .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
            .build();
        Ok(Ec2Provider {
            client: Client::from_conf(config),
            region,
            backoff: options.backoff,
            page_size: options.page_size,
        })
    }

    /// Runs `call` until it succeeds, fails for good, or the attempts are spent.
    async fn retried<T, E, F, Fut>(&self, action: &str, instance: Option<&str>, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut retry = 0;
        loop {
            let error = match call().await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            match classify(error, action, instance) {
                Failure::Fail(error) => return Err(error),
                Failure::Retry(error) => {
                    retry += 1;
                    let Some(delay) = self.backoff.delay(retry, Backoff::draw()) else {
                        return Err(match error {
                            Error::Unavailable { message } => {
                                Error::Unavailable { message: format!("{message} (after {retry} attempts)") }
                            }
                            other => other,
                        });
                    };
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// The status checks of `ids` (those that are running; the others have none).
    async fn checks(&self, ids: &[String]) -> Result<HashMap<String, Checks>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(100) {
            let answer = self
                .retried("ec2:DescribeInstanceStatus", None, || {
                    self.client
                        .describe_instance_status()
                        .set_instance_ids(Some(chunk.to_vec()))
                        .include_all_instances(true)
                        .send()
                })
                .await?;
            found.extend(answer.instance_statuses().iter().filter_map(convert::checks));
        }
        Ok(found)
    }

    /// The instances of one or more DescribeInstances calls, with their checks.
    async fn describe(
        &self,
        filter: Option<ec2::Filter>,
        ids: Option<Vec<String>>,
    ) -> Result<Vec<ec2::Instance>> {
        let single = ids.as_ref().and_then(|ids| ids.first().cloned());
        let page_size = if ids.is_some() { None } else { self.page_size };
        let mut raw = Vec::new();
        let mut token: Option<String> = None;
        // Bounded: a million instances at a thousand a page.
        for _ in 0..1000 {
            let answer = self
                .retried("ec2:DescribeInstances", single.as_deref(), || {
                    self.client
                        .describe_instances()
                        .set_filters(filter.clone().map(|f| vec![f]))
                        .set_instance_ids(ids.clone())
                        .set_max_results(page_size)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            raw.extend(answer.reservations().iter().flat_map(|r| r.instances().iter().cloned()));
            match answer.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(raw)
    }

    async fn with_checks(&self, raw: Vec<ec2::Instance>) -> Result<Vec<Instance>> {
        let ids: Vec<String> = raw.iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();
        let checks = self.checks(&ids).await?;
        Ok(raw.iter().filter_map(|i| convert::instance(i, &checks)).collect())
    }
}

#[async_trait::async_trait]
impl InstanceProvider for Ec2Provider {
    fn describe(&self) -> String {
        format!("ec2 {}", self.region)
    }

    async fn discover(&self) -> Result<Vec<Instance>> {
        let tagged = ec2::Filter::builder().name("tag-key").values(CUSTOMER_TAG).build();
        let raw = self.describe(Some(tagged), None).await?;
        self.with_checks(raw).await
    }

    async fn instance(&self, id: &str) -> Result<Instance> {
        let raw = self.describe(None, Some(vec![id.to_owned()])).await?;
        self.with_checks(raw)
            .await?
            .into_iter()
            .find(|instance| instance.id == id)
            .ok_or_else(|| Error::InstanceNotFound { id: id.to_owned() })
    }

    async fn act(&self, id: &str, action: &InstanceAction) -> Result<()> {
        let client = &self.client;
        let iam = action.iam_action();
        let at = Some(id);
        match action {
            InstanceAction::Start => {
                self.retried(iam, at, || client.start_instances().instance_ids(id).send()).await.map(drop)
            }
            InstanceAction::Stop => {
                self.retried(iam, at, || client.stop_instances().instance_ids(id).send()).await.map(drop)
            }
            InstanceAction::Reboot => {
                self.retried(iam, at, || client.reboot_instances().instance_ids(id).send()).await.map(drop)
            }
            InstanceAction::Terminate => {
                self.retried(iam, at, || client.terminate_instances().instance_ids(id).send()).await.map(drop)
            }
            InstanceAction::SetType(instance_type) => {
                let value = ec2::AttributeValue::builder().value(instance_type).build();
                self.retried(iam, at, || {
                    client.modify_instance_attribute().instance_id(id).instance_type(value.clone()).send()
                })
                .await
                .map(drop)
            }
        }
    }

    async fn launch(&self, customer: &CustomerId, spec: &LaunchSpec, user_data: &str) -> Result<Instance> {
        spec.validate()?;
        let tags = ec2::TagSpecification::builder()
            .resource_type(ec2::ResourceType::Instance)
            .tags(ec2::Tag::builder().key(CUSTOMER_TAG).value(customer.as_str()).build())
            .build();
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, user_data);
        let answer = self
            .retried("ec2:RunInstances", None, || {
                self.client
                    .run_instances()
                    .min_count(1)
                    .max_count(1)
                    .set_image_id(spec.image_id.clone())
                    .set_instance_type(spec.instance_type.as_deref().map(ec2::InstanceType::from))
                    .set_subnet_id(spec.subnet_id.clone())
                    .set_security_group_ids(
                        (!spec.security_group_ids.is_empty()).then(|| spec.security_group_ids.clone()),
                    )
                    .set_key_name(spec.key_name.clone())
                    .set_iam_instance_profile(
                        spec.instance_profile
                            .as_ref()
                            .map(|name| ec2::IamInstanceProfileSpecification::builder().name(name).build()),
                    )
                    .set_launch_template(
                        spec.launch_template_id.as_ref().map(|id| {
                            ec2::LaunchTemplateSpecification::builder().launch_template_id(id).build()
                        }),
                    )
                    .tag_specifications(tags.clone())
                    .user_data(encoded.clone())
                    .send()
            })
            .await?;
        let launched = answer.instances().first().ok_or_else(|| Error::Unavailable {
            message: "EC2 ec2:RunInstances answered without an instance".to_owned(),
        })?;
        convert::instance(launched, &HashMap::new()).ok_or_else(|| Error::Unavailable {
            message: "EC2 ec2:RunInstances answered with an instance without an id".to_owned(),
        })
    }
}
