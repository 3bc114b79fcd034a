//! The agent's rights rule: a sequence of portal grants, attendee joins, customer consent
//! answers, revocations, hellos, input and time, run against `AgentSession` and against an
//! independent model of the documented rule (`src/agent_model.rs`). After every step, input
//! must be injected exactly when the model says the sender may control, and the screen go
//! exactly to those the model says may view.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_fuzz::agent_model::{Op, run};

fuzz_target!(|ops: Vec<Op>| {
    run(&ops);
});
