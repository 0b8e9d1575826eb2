//! Issue a netid/v1 credential in the BBS suite and prove "over 18 + pseudonym + given name +
//! not expired" to two apps, showing what each app learns.
//!
//! `cargo run --release -p netid-bbs --example presentation`

use netid_bbs::netid::{HolderKey, NetidBbs};
use netid_bbs::{BbsError, Ciphersuite, SecretKey};
use netid_core::{
    AssuranceLevel, Attribute, AttributeSet, CredentialAttributes, Date, DocType, HolderBinding,
    HolderSecret, Nonce, Nym, PresentationRequest, Statements, Suite, FORMAT_VERSION,
};
use std::process::ExitCode;
use std::time::Instant;

fn request(app_id: &str, today: Date) -> PresentationRequest {
    let mut disclose = AttributeSet::new();
    disclose.insert(Attribute::GivenName);
    let mut nonce = [0u8; 32];
    rand::fill(&mut nonce);
    PresentationRequest {
        version: FORMAT_VERSION,
        app_id: app_id.into(),
        nonce: Nonce::new(nonce),
        expires_at: u64::MAX,
        statements: Statements {
            today,
            age_at_least: Some(18),
            assurance_at_least: None,
            disclose,
            pseudonym: true,
            not_expired: true,
        },
        suites: vec![Suite::BbsSha256],
        app_certificate: Vec::new().into(),
        response_uri: None,
        signature: Vec::new().into(),
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let netid = NetidBbs::new(Ciphersuite::Sha256);
    let today = Date::from_ymd(2026, 11, 22)?;

    println!("1. issuer: key pair and the 256 range-digit signatures");
    let t = Instant::now();
    let sk = SecretKey::generate(Ciphersuite::Sha256, &mut rand::rng())?;
    let pk = sk.public_key();
    let digits = netid.digit_signatures(&sk, &pk)?;
    println!("   done in {:.2?}", t.elapsed());

    let mut nym = [0u8; 32];
    rand::fill(&mut nym);
    let holder = CredentialAttributes {
        netid: "NID7Q2KX9M4".into(),
        family_name: "王".into(),
        given_name: "丽".into(),
        id_hash: [0x11; 32],
        birthdate: Date::from_ymd(1990, 5, 4)?,
        doc_type: DocType::ResidentIdCard,
        assurance: AssuranceLevel::Remote,
        nym: Nym::from_prf_output(&nym),
        // Poseidon(s) in a real wallet; BBS binds through the committed secret itself.
        binding: HolderBinding::from_be_bytes(&[0x03; 32])?,
        expiry: Date::from_ymd(2030, 1, 1)?,
        rev_index: 7,
        guardian_perms: 0,
    };
    println!(
        "2. issuer signs a netid/v1 credential for *{}",
        holder.given_name
    );
    // The wallet commits to its secret; the issuer blind-signs the commitment and never sees it.
    let mut random = [0u8; 32];
    rand::fill(&mut random);
    let secret = HolderSecret::from_random(&random)?;
    let (commitment, blind) = netid.commit_binding(&secret, &mut rand::rng())?;
    let sig = netid.issue(&sk, &pk, &holder, &commitment)?;
    let key = HolderKey {
        secret: &secret,
        prover_blind: &blind,
    };
    netid.verify_credential(&pk, &holder, &sig, key)?;

    let mut pseudonyms = Vec::new();
    for app in ["shop.example", "game.example", "shop.example"] {
        let req = request(app, today);
        let t = Instant::now();
        let p = netid.present(&pk, &digits, &holder, &sig, key, &req, &mut rand::rng())?;
        let prove = t.elapsed();
        let t = Instant::now();
        let v = netid.verify_presentation(&pk, &req, &p)?;
        let verify = t.elapsed();
        let nym_hex = v.pseudonym.map(hex::encode).unwrap_or_default();
        println!(
            "3. {app}: over 18 ✓, not expired ✓, given name {:?}, pseudonym {}…  (proof {} bytes, prove {:.2?}, verify {:.2?})",
            v.disclosed.get(Attribute::GivenName),
            &nym_hex[..16],
            p.proof.len() + p.pseudonym.as_ref().map_or(0, |x| x.len()),
            prove,
            verify
        );
        pseudonyms.push(nym_hex);
    }
    if pseudonyms[0] == pseudonyms[1] || pseudonyms[0] != pseudonyms[2] {
        return Err("pseudonyms must differ across apps and repeat within one".into());
    }
    println!("4. pseudonyms differ across apps and repeat within an app ✓");

    let mut minor = holder.clone();
    minor.birthdate = Date::from_ymd(2010, 1, 1)?;
    let (minor_commitment, minor_blind) = netid.commit_binding(&secret, &mut rand::rng())?;
    let minor_sig = netid.issue(&sk, &pk, &minor, &minor_commitment)?;
    match netid.present(
        &pk,
        &digits,
        &minor,
        &minor_sig,
        HolderKey {
            secret: &secret,
            prover_blind: &minor_blind,
        },
        &request("bar.example", today),
        &mut rand::rng(),
    ) {
        Err(BbsError::Statement(why)) => println!("5. a 16-year-old's wallet refuses: {why} ✓"),
        other => return Err(format!("the minor's proof should be refused: {other:?}").into()),
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
