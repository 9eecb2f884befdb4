//! A cloud in memory: an [`InstanceProvider`] whose actions take effect at once and which
//! records what it was asked, for the console's instance tests (no SDK, no network).

use std::sync::Mutex;

use voicefleet_core::customer::CustomerId;
use voicefleet_core::instances::{
    Instance, InstanceAction, InstanceProvider, InstanceState, LaunchSpec, StatusCheck,
};
use voicefleet_core::{Error, Result};

/// The fake cloud.
#[derive(Debug, Default)]
pub struct FakeCloud {
    instances: Mutex<Vec<Instance>>,
    asked: Mutex<Vec<(String, InstanceAction)>>,
    launched: Mutex<Vec<(String, String)>>,
}

/// A running `t3.medium` tagged for `customer` (no tag when `None`).
pub fn instance(id: &str, customer: Option<&str>) -> Instance {
    Instance {
        id: id.to_owned(),
        state: InstanceState::Running,
        instance_type: "t3.medium".to_owned(),
        private_address: Some("10.0.1.17".parse().unwrap()),
        public_address: None,
        availability_zone: Some("us-east-1a".to_owned()),
        launched_at_ms: Some(1_700_000_000_000),
        system_status: StatusCheck::Ok,
        instance_status: StatusCheck::Ok,
        customer_tag: customer.map(str::to_owned),
    }
}

impl FakeCloud {
    pub fn with(instances: Vec<Instance>) -> FakeCloud {
        FakeCloud { instances: Mutex::new(instances), asked: Mutex::default(), launched: Mutex::default() }
    }

    /// Each instance it launched, in order, with the user data it was launched with.
    pub fn launched(&self) -> Vec<(String, String)> {
        self.launched.lock().unwrap().clone()
    }

    /// What it was asked to do, in order.
    pub fn asked(&self) -> Vec<(String, InstanceAction)> {
        self.asked.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl InstanceProvider for FakeCloud {
    fn describe(&self) -> String {
        "fake cloud".to_owned()
    }

    async fn discover(&self) -> Result<Vec<Instance>> {
        Ok(self.instances.lock().unwrap().iter().filter(|i| i.customer_tag.is_some()).cloned().collect())
    }

    async fn instance(&self, id: &str) -> Result<Instance> {
        let instances = self.instances.lock().unwrap();
        instances
            .iter()
            .find(|i| i.id == id)
            .cloned()
            .ok_or_else(|| Error::InstanceNotFound { id: id.to_owned() })
    }

    async fn act(&self, id: &str, action: &InstanceAction) -> Result<()> {
        self.asked.lock().unwrap().push((id.to_owned(), action.clone()));
        let mut instances = self.instances.lock().unwrap();
        let instance = instances
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or_else(|| Error::InstanceNotFound { id: id.to_owned() })?;
        match action {
            InstanceAction::Start => instance.state = InstanceState::Running,
            InstanceAction::Stop => instance.state = InstanceState::Stopped,
            InstanceAction::Reboot => {}
            InstanceAction::Terminate => instance.state = InstanceState::Terminated,
            InstanceAction::SetType(new) if instance.state == InstanceState::Stopped => {
                instance.instance_type = new.clone();
            }
            InstanceAction::SetType(_) => {
                return Err(Error::conflict("the instance is not stopped", None));
            }
        }
        Ok(())
    }

    async fn launch(&self, customer: &CustomerId, spec: &LaunchSpec, user_data: &str) -> Result<Instance> {
        spec.validate()?;
        let mut instances = self.instances.lock().unwrap();
        let mut launched = instance(&format!("i-fake{:04}", instances.len()), Some(customer.as_str()));
        launched.instance_type = spec.instance_type.clone().unwrap_or_default();
        instances.push(launched.clone());
        self.launched.lock().unwrap().push((launched.id.clone(), user_data.to_owned()));
        Ok(launched)
    }
}
