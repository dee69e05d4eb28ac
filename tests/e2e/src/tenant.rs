//! The tenant every end-to-end test imports before starting the daemon: known
//! passwords, and one extension with a short ring time for the no-answer test.

use serde_json::{json, Value};

pub const TENANT_ID: u32 = 20191;

/// One extension of the test tenant.
#[derive(Debug, Clone, Copy)]
pub struct TestUser {
    pub extension: &'static str,
    pub password: &'static str,
    pub ring_seconds: u32,
}

impl TestUser {
    /// SIP username by the daemon's contract: `ext<tenant><extension>`.
    pub fn username(&self) -> String {
        format!("ext{TENANT_ID}{}", self.extension)
    }
}

pub const EXT10: TestUser = TestUser {
    extension: "10",
    password: "secret10",
    ring_seconds: 30,
};
pub const EXT11: TestUser = TestUser {
    extension: "11",
    password: "secret11",
    ring_seconds: 30,
};
/// Rings for 2 seconds only: the no-answer test waits for the box to give up.
pub const EXT12: TestUser = TestUser {
    extension: "12",
    password: "secret12",
    ring_seconds: 2,
};
/// Never registers: calls to it must get 480.
pub const EXT13: TestUser = TestUser {
    extension: "13",
    password: "secret13",
    ring_seconds: 30,
};

pub const USERS: [TestUser; 4] = [EXT10, EXT11, EXT12, EXT13];

/// A number no extension, queue or IVR uses: calls to it must get 404.
pub const UNKNOWN_NUMBER: &str = "99";

/// The tenant document in the minimal form of the daemon's contract.
pub fn document() -> Value {
    let users: Vec<Value> = USERS
        .iter()
        .map(|user| {
            json!({
                "id": format!("u{}", user.extension),
                "extension": user.extension,
                "full_name": format!("Test {}", user.extension),
                "email": format!("ext{}@example.com", user.extension),
                "role": "user",
                "sip_password": user.password,
                "internal_only": false,
                "ring_seconds": user.ring_seconds,
            })
        })
        .collect();
    json!({
        "schema": 1,
        "tenant": {
            "id": TENANT_ID,
            "name": "Test",
            "max_extensions": 20,
            "timezone": "Europe/Madrid",
            "recording": false,
            "created": "2024-01-02"
        },
        "provider": null,
        "users": users,
    })
}
