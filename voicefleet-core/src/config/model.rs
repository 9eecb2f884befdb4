//! The typed model of a voice-agent configuration document (schema version 1).
//!
//! These types are the single source of truth for the document's shape: the JSON Schema given to
//! the web team is generated from them, and the validator walks that generated schema, so a range
//! written here is the range enforced everywhere. Rules that involve more than one field live in
//! `validate.rs`.
//!
//! The enums name their values in their own description, not on each variant: a documented
//! variant would turn the schema's `enum` into a `oneOf`, which the validator does not check.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `secret://NAME` with `NAME` = `[a-z0-9_]{1,64}`.
pub(crate) const SECRET_REFERENCE_PATTERN: &str = r"^secret://[a-z0-9_]{1,64}$";
/// An environment variable name.
pub(crate) const ENV_NAME_PATTERN: &str = r"^[A-Z_][A-Z0-9_]*$";
/// An E.164 phone number.
pub(crate) const E164_PATTERN: &str = r"^\+[0-9]{8,15}$";
/// A BCP-47 language tag (`en`, `en-US`, `pt-BR`, `zh-Hant-TW`) or `multi`.
pub(crate) const LANGUAGE_PATTERN: &str = r"^(multi|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$";
/// An absolute path.
pub(crate) const ABSOLUTE_PATH_PATTERN: &str = r"^/";
/// A Unix user name (the portable set: lower case, digits, `_`, `-`; at most 32 characters).
pub(crate) const UNIX_USER_PATTERN: &str = r"^[a-z_][a-z0-9_-]{0,31}$";
/// A SIP URI.
pub(crate) const SIP_URI_PATTERN: &str = r"^sips?:[^\s]+$";
/// A Twilio account SID.
pub(crate) const TWILIO_ACCOUNT_SID_PATTERN: &str = r"^AC[0-9a-f]{32}$";
/// An http(s) URL; the https-or-loopback rule is a cross-field check.
pub(crate) const HTTP_URL_PATTERN: &str = r"^https?://[^\s]+$";

/// A whole voice-agent configuration document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "VoiceAgentConfig",
    description = "One customer's voice-agent configuration (voicefleet schema version 1)"
)]
pub struct VoiceAgentConfig {
    /// Schema version; must be 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// How the host agent runs the voice-agent process.
    pub runtime: Runtime,
    /// The conversational pipeline: LLM, speech-to-text, text-to-speech and turn taking.
    pub agent_settings: AgentSettings,
    /// Phone numbers and the carrier that routes them.
    #[serde(default)]
    pub telephony: Telephony,
    /// Where call events are posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Webhooks>,
    /// Free-form settings for the voice agent itself; never validated, always kept.
    #[serde(default)]
    pub extensions: serde_json::Map<String, Value>,
}

/// How the host agent runs the voice-agent process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    /// argv of the voice agent; never run through a shell.
    #[schemars(length(min = 1, max = 64), inner(length(min = 1)))]
    pub command: Vec<String>,
    /// Absolute working directory; defaults to a directory of the agent's own in the host
    /// agent's state directory (`STATE/agent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(ABSOLUTE_PATH_PATTERN))]
    pub working_dir: Option<String>,
    /// The Unix user the voice agent runs as. A host agent running as root starts the agent as
    /// this user (supplementary groups cleared) and hands it its configuration file and working
    /// directory; unset, the agent runs as the host agent's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(UNIX_USER_PATTERN))]
    pub user: Option<String>,
    /// Extra environment variables. Names starting `VOICEFLEET_` are reserved.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {"pattern": ENV_NAME_PATTERN}))]
    pub env: BTreeMap<String, String>,
    /// Environment variables whose values are secrets, given as `secret://NAME` references.
    #[serde(default)]
    #[schemars(
        extend("propertyNames" = {"pattern": ENV_NAME_PATTERN}),
        extend("additionalProperties" = {"type": "string", "pattern": SECRET_REFERENCE_PATTERN})
    )]
    pub secret_env: BTreeMap<String, String>,
    /// When to restart the voice agent after it exits.
    #[serde(default)]
    pub restart: RestartSettings,
    /// Seconds alive after which the agent counts as ready when it sends no `ready` event.
    #[serde(default = "defaults::start_seconds")]
    #[schemars(range(min = 0, max = 300))]
    pub start_seconds: f64,
    /// Seconds a stop waits for active calls to end before the process group is killed.
    #[serde(default = "defaults::drain_timeout_seconds")]
    #[schemars(range(min = 0, max = 43200))]
    pub drain_timeout_seconds: u32,
    /// How a configuration change reaches a running agent.
    #[serde(default)]
    pub reload: ReloadMode,
    /// Calls the agent accepts at once.
    #[serde(default = "defaults::max_concurrent_calls")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_concurrent_calls: u32,
    /// Resident memory limit; over it the agent is drained and restarted when idle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 64, max = 65536))]
    pub memory_limit_mb: Option<u32>,
}

/// Restart settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartSettings {
    /// `always`, `on-failure` or `never`.
    #[serde(default)]
    pub policy: RestartPolicy,
    /// Cap of the exponential restart backoff, in seconds.
    #[serde(default = "defaults::max_backoff_seconds")]
    #[schemars(range(min = 1, max = 3600))]
    pub max_backoff_seconds: u32,
}

impl Default for RestartSettings {
    fn default() -> Self {
        Self { policy: RestartPolicy::default(), max_backoff_seconds: defaults::max_backoff_seconds() }
    }
}

/// When the supervisor restarts an exited voice agent: `always` (after any exit, a clean one
/// too), `on-failure` (after a non-zero exit, a signal or a failed start) or `never` (it stays
/// `exited`).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    #[default]
    Always,
    OnFailure,
    Never,
}

/// How a configuration change reaches a running agent: `signal` sends it SIGHUP to re-read its
/// configuration file (a change under `runtime` or to a secret still restarts it); `restart`
/// drains and restarts it.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReloadMode {
    Signal,
    #[default]
    Restart,
}

/// The conversational pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// The language model that writes the agent's replies.
    pub llm: Llm,
    /// Speech-to-text: turns the caller's audio into text.
    pub stt: Stt,
    /// Text-to-speech: the agent's voice.
    pub tts: Tts,
    /// Voice activity detection: when the caller counts as speaking.
    #[serde(default)]
    pub vad: Vad,
    /// Turn detection: when the caller's turn is over and the agent answers.
    #[serde(default)]
    pub turn: Turn,
    /// Barge-in: whether and when the caller may interrupt the agent.
    #[serde(default)]
    pub interruption: Interruption,
    /// Per-call behaviour: greeting, time limits, phrases that end the call.
    #[serde(default)]
    pub call: Call,
}

/// The language model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Llm {
    /// The LLM provider.
    pub provider: LlmProvider,
    /// Model name; a name the provider is not known to offer is a warning.
    #[schemars(length(min = 1, max = 128))]
    pub model: String,
    /// Sampling temperature (anthropic: 0 to 1).
    #[serde(default = "defaults::temperature")]
    #[schemars(range(min = 0, max = 2))]
    pub temperature: f64,
    /// Most tokens the model may produce per reply.
    #[serde(default = "defaults::max_tokens")]
    #[schemars(range(min = 50, max = 10000))]
    pub max_tokens: u32,
    /// Instructions given to the model before every conversation; at most 32,000 characters.
    #[serde(default)]
    #[schemars(length(max = 32000))]
    pub system_prompt: String,
    /// `secret://NAME`; a literal key is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(SECRET_REFERENCE_PATTERN))]
    pub api_key: Option<String>,
}

/// The LLM provider: `openai`, `anthropic`, `google`, `groq` or `azure_openai`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LlmProvider {
    Openai,
    Anthropic,
    Google,
    Groq,
    AzureOpenai,
}

/// Speech-to-text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stt {
    /// The speech-to-text provider.
    pub provider: SttProvider,
    /// Model name; the provider's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub model: Option<String>,
    /// BCP-47 language tag or `multi`.
    #[serde(default = "defaults::language")]
    #[schemars(pattern(LANGUAGE_PATTERN))]
    pub language: String,
    /// Silence, in milliseconds, after which the provider ends an utterance.
    #[serde(default = "defaults::endpointing_ms")]
    #[schemars(range(min = 10, max = 5000))]
    pub endpointing_ms: u32,
    /// The provider's API key as `secret://NAME`; a literal key is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(SECRET_REFERENCE_PATTERN))]
    pub api_key: Option<String>,
}

/// The speech-to-text provider: `deepgram`, `assemblyai`, `google`, `azure` or `openai`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SttProvider {
    Deepgram,
    Assemblyai,
    Google,
    Azure,
    Openai,
}

/// Text-to-speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tts {
    /// The text-to-speech provider.
    pub provider: TtsProvider,
    /// The provider's voice id (an ElevenLabs voice id, a Cartesia voice UUID, an OpenAI voice
    /// name…).
    #[schemars(length(min = 1, max = 128))]
    pub voice_id: String,
    /// Model name; the provider's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub model: Option<String>,
    /// Speaking rate (elevenlabs: 0.7 to 1.2).
    #[serde(default = "defaults::speed")]
    #[schemars(range(min = 0.5, max = 2.0))]
    pub speed: f64,
    /// elevenlabs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub stability: Option<f64>,
    /// elevenlabs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub similarity_boost: Option<f64>,
    /// The provider's API key as `secret://NAME`; a literal key is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(SECRET_REFERENCE_PATTERN))]
    pub api_key: Option<String>,
}

/// The text-to-speech provider: `elevenlabs`, `cartesia`, `openai`, `azure`, `google` or
/// `deepgram`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TtsProvider {
    Elevenlabs,
    Cartesia,
    Openai,
    Azure,
    Google,
    Deepgram,
}

/// Voice activity detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vad {
    /// Speech probability (0 to 1) above which audio counts as speech.
    #[serde(default = "defaults::activation_threshold")]
    #[schemars(range(min = 0, max = 1))]
    pub activation_threshold: f64,
    /// Shortest speech, in seconds, that starts a turn.
    #[serde(default = "defaults::min_speech_seconds")]
    #[schemars(range(min = 0, max = 5))]
    pub min_speech_seconds: f64,
    /// Silence, in seconds, after speech that ends it.
    #[serde(default = "defaults::min_silence_seconds")]
    #[schemars(range(min = 0, max = 5))]
    pub min_silence_seconds: f64,
    /// 8000 or 16000.
    #[serde(default = "defaults::sample_rate")]
    #[schemars(extend("enum" = [8000, 16000]))]
    pub sample_rate: u32,
}

impl Default for Vad {
    fn default() -> Self {
        Self {
            activation_threshold: defaults::activation_threshold(),
            min_speech_seconds: defaults::min_speech_seconds(),
            min_silence_seconds: defaults::min_silence_seconds(),
            sample_rate: defaults::sample_rate(),
        }
    }
}

/// Turn detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// What decides that the caller's turn is over.
    #[serde(default)]
    pub detection: TurnDetection,
    /// Must be at most `max_endpointing_seconds`.
    #[serde(default = "defaults::min_endpointing_seconds")]
    #[schemars(range(min = 0, max = 10))]
    pub min_endpointing_seconds: f64,
    /// Longest wait, in seconds, after the caller stops speaking before the agent answers.
    #[serde(default = "defaults::max_endpointing_seconds")]
    #[schemars(range(min = 0, max = 10))]
    pub max_endpointing_seconds: f64,
}

impl Default for Turn {
    fn default() -> Self {
        Self {
            detection: TurnDetection::default(),
            min_endpointing_seconds: defaults::min_endpointing_seconds(),
            max_endpointing_seconds: defaults::max_endpointing_seconds(),
        }
    }
}

/// What ends the caller's turn: `vad` (silence after speech), `stt` (the speech-to-text
/// provider's end of utterance), `model` (a turn-detection model) or `manual` (the agent's own
/// logic).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TurnDetection {
    #[default]
    Vad,
    Stt,
    Model,
    Manual,
}

/// Barge-in handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interruption {
    /// Whether the caller may interrupt the agent while it speaks.
    #[serde(default = "defaults::yes")]
    pub enabled: bool,
    /// Speech, in seconds, the caller must keep up to interrupt.
    #[serde(default = "defaults::min_interruption_seconds")]
    #[schemars(range(min = 0, max = 10))]
    pub min_duration_seconds: f64,
    /// Words the caller must say to interrupt (0: any speech counts).
    #[serde(default)]
    #[schemars(range(min = 0, max = 10))]
    pub min_words: u32,
}

impl Default for Interruption {
    fn default() -> Self {
        Self { enabled: true, min_duration_seconds: defaults::min_interruption_seconds(), min_words: 0 }
    }
}

/// Per-call behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// What the agent says first when it answers a call; empty for nothing.
    #[serde(default)]
    #[schemars(length(max = 1000))]
    pub first_message: String,
    /// Longest call, in seconds, before the agent ends it.
    #[serde(default = "defaults::max_duration_seconds")]
    #[schemars(range(min = 10, max = 43200))]
    pub max_duration_seconds: u32,
    /// Seconds of silence from the caller after which the agent ends the call.
    #[serde(default = "defaults::silence_timeout_seconds")]
    #[schemars(range(min = 1, max = 3600))]
    pub silence_timeout_seconds: u32,
    /// Phrases that end the call when the caller says them (at most 32, each at most 100
    /// characters).
    #[serde(default)]
    #[schemars(length(max = 32), inner(length(max = 100)))]
    pub end_call_phrases: Vec<String>,
}

impl Default for Call {
    fn default() -> Self {
        Self {
            first_message: String::new(),
            max_duration_seconds: defaults::max_duration_seconds(),
            silence_timeout_seconds: defaults::silence_timeout_seconds(),
            end_call_phrases: Vec::new(),
        }
    }
}

/// Phone numbers and the carrier that routes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Telephony {
    /// The carrier that routes the numbers to the agent; `none` for no phone numbers.
    #[serde(default)]
    pub provider: TelephonyProvider,
    /// E.164 numbers, unique; required unless the provider is `none`.
    #[serde(default)]
    #[schemars(length(max = 100), inner(pattern(E164_PATTERN)), extend("uniqueItems" = true))]
    pub numbers: Vec<String>,
    /// twilio: `AC` followed by 32 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
    /// `secret://NAME`; required for twilio and telnyx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(SECRET_REFERENCE_PATTERN))]
    pub auth_token: Option<String>,
    /// Required for sip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip: Option<Sip>,
}

/// The carrier: `twilio`, `telnyx`, `sip` (a SIP trunk) or `none`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TelephonyProvider {
    Twilio,
    Telnyx,
    Sip,
    #[default]
    None,
}

/// SIP trunk settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sip {
    /// The trunk's `sip:` or `sips:` URI.
    #[schemars(pattern(SIP_URI_PATTERN))]
    pub uri: String,
}

/// Where call events are posted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhooks {
    /// https URL; plain http only to a loopback host.
    #[schemars(pattern(HTTP_URL_PATTERN))]
    pub url: String,
    /// Which events are posted to `url`, each named at most once.
    #[serde(default)]
    #[schemars(extend("uniqueItems" = true))]
    pub events: Vec<WebhookEvent>,
    /// Seconds each post may take before it counts as failed.
    #[serde(default = "defaults::webhook_timeout_seconds")]
    #[schemars(range(min = 1, max = 300))]
    pub timeout_seconds: u32,
}

/// A call event a webhook can receive: `call_started`, `call_ended`, `error` or
/// `state_changed` (the agent's process state).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    CallStarted,
    CallEnded,
    Error,
    StateChanged,
}

/// Default values, one function each so serde and schemars share them.
mod defaults {
    pub(super) fn start_seconds() -> f64 {
        1.0
    }
    pub(super) fn drain_timeout_seconds() -> u32 {
        30
    }
    pub(super) fn max_concurrent_calls() -> u32 {
        10
    }
    pub(super) fn max_backoff_seconds() -> u32 {
        60
    }
    pub(super) fn temperature() -> f64 {
        0.7
    }
    pub(super) fn max_tokens() -> u32 {
        250
    }
    pub(super) fn language() -> String {
        "en-US".to_owned()
    }
    pub(super) fn endpointing_ms() -> u32 {
        300
    }
    pub(super) fn speed() -> f64 {
        1.0
    }
    pub(super) fn activation_threshold() -> f64 {
        0.5
    }
    pub(super) fn min_speech_seconds() -> f64 {
        0.05
    }
    pub(super) fn min_silence_seconds() -> f64 {
        0.55
    }
    pub(super) fn sample_rate() -> u32 {
        16000
    }
    pub(super) fn min_endpointing_seconds() -> f64 {
        0.5
    }
    pub(super) fn max_endpointing_seconds() -> f64 {
        3.0
    }
    pub(super) fn yes() -> bool {
        true
    }
    pub(super) fn min_interruption_seconds() -> f64 {
        0.5
    }
    pub(super) fn max_duration_seconds() -> u32 {
        600
    }
    pub(super) fn silence_timeout_seconds() -> u32 {
        30
    }
    pub(super) fn webhook_timeout_seconds() -> u32 {
        20
    }
}
