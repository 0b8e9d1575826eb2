//! netid-holder: the wallet.
