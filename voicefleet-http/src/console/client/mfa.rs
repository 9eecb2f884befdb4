//! The second-factor calls of [`ConsoleClient`] (not part of the fleet contract).

use reqwest::Method;
use voicefleet_core::Result;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{MfaEnrollment, MfaPolicy};

use super::super::wire::{MfaDisable, MfaRequirement, OtpCode};
use super::{ConsoleClient, to_value};

/// Your own second factor's route (`/v1/auth/mfa`), or an admin's route to `user`'s.
fn mfa_path(user: Option<&str>, verb: &str) -> String {
    match user {
        None => format!("/v1/auth/mfa{verb}"),
        Some(name) => format!("/v1/users/{name}/mfa{verb}"),
    }
}

impl ConsoleClient {
    /// A new (pending) second factor for `user` (yourself when `None`): its otpauth URI and
    /// recovery codes, shown once.
    pub async fn enable_mfa(&self, user: Option<&str>) -> Result<MfaEnrollment> {
        self.call(Method::POST, &mfa_path(user, ""), None).await
    }

    /// Confirms the pending second factor of `user` (yourself when `None`) with a first code.
    pub async fn confirm_mfa(&self, user: Option<&str>, otp: &str) -> Result<()> {
        let body = OtpCode { otp: otp.to_owned() };
        self.call_empty(Method::POST, &mfa_path(user, "/confirm"), Some(to_value(&body)?)).await
    }

    /// Removes the second factor of `user` (yourself when `None`; `otp`: a current code, which
    /// removing your own needs).
    pub async fn disable_mfa(&self, user: Option<&str>, otp: Option<&str>) -> Result<()> {
        let body = MfaDisable { otp: otp.map(str::to_owned) };
        self.call_empty(Method::POST, &mfa_path(user, "/disable"), Some(to_value(&body)?)).await
    }

    pub async fn mfa_policy(&self) -> Result<MfaPolicy> {
        self.call(Method::GET, "/v1/mfa/policy", None).await
    }

    /// Requires (or, `required: false`, stops requiring) a second factor for `role`.
    pub async fn set_mfa_required(&self, role: Role, required: bool) -> Result<MfaPolicy> {
        let body = MfaRequirement { role, required };
        self.call(Method::PUT, "/v1/mfa/policy", Some(to_value(&body)?)).await
    }
}
