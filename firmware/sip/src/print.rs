//! Wire printer. Content-Length is always written from the body actually carried.
use crate::message::{Message, Request, Response};

impl Request {
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!("sip parser engineer")
    }
}

impl Response {
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!("sip parser engineer")
    }
}

impl Message {
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}
