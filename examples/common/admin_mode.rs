//! Admin mode that is left whatever happens, Ctrl-C and `kill` included: for the admin
//! tools. Copy this file beside the example as `common/admin_mode.rs`; it needs `ctrlc`
//! (with its `termination` feature, so that SIGTERM is handled as Ctrl-C is).

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};
use squonk2::dm_api::{self, SetAdminStateOptions};
use squonk2::Client;

/// Admin mode, switched on. Every switch holds `lock`, so that an interrupt waits for the
/// switch under way and no other starts after it has left admin mode.
pub struct AdminMode {
    client: Client,
    lock: Arc<Mutex<()>>,
}

impl AdminMode {
    /// Switches admin mode on; until the program ends, Ctrl-C switches it off and exits
    /// with 130.
    pub fn enter(client: &Client, program: &'static str) -> Result<AdminMode> {
        let lock = Arc::new(Mutex::new(()));
        let (on_interrupt, held) = (client.clone(), Arc::clone(&lock));
        ctrlc::set_handler(move || {
            let _no_more_switches = held.lock().unwrap_or_else(PoisonError::into_inner);
            match switch_off(&on_interrupt) {
                Ok(()) => eprintln!("{program}: interrupted; left admin mode"),
                Err(e) => eprintln!("{program}: interrupted; {e:#}"),
            }
            std::process::exit(130);
        })
        .context("cannot catch Ctrl-C")?;
        let admin = AdminMode {
            client: client.clone(),
            lock,
        };
        admin
            .switch(&SetAdminStateOptions::default())
            .context("cannot switch admin mode on (does the user have the admin role?)")?;
        Ok(admin)
    }

    /// Acts as `user` (an admin deletes things as their owner).
    // load_exchange_rates acts as nobody.
    #[allow(dead_code)]
    pub fn act_as(&self, user: &str) -> Result<()> {
        self.switch(&SetAdminStateOptions {
            impersonate: Some(user.to_string()),
        })
        .with_context(|| format!("cannot act as {user}"))
    }

    /// Switches admin mode off (this also ends any impersonation).
    pub fn leave(self) -> Result<()> {
        let _switching = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        switch_off(&self.client)
    }

    fn switch(&self, opts: &SetAdminStateOptions) -> Result<()> {
        let _switching = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        dm_api::set_admin_state(&self.client, true, opts).typed()?;
        Ok(())
    }
}

fn switch_off(client: &Client) -> Result<()> {
    dm_api::set_admin_state(client, false, &SetAdminStateOptions::default())
        .typed()
        .context("could not switch admin mode off: do it yourself")?;
    Ok(())
}
