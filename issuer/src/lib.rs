//! netid-issuer: enrolment, 网号, minors, app registry, issuance, revocation.

pub mod evidence;
