//! Rule variables (`$HOME_NET`, `$HTTP_PORTS`, …). The defaults are those of
//! Suricata 7's stock `suricata.yaml` (`vars.address-groups` and
//! `vars.port-groups`); a configuration overrides or adds names.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Suricata 7.0's stock `vars.address-groups`.
pub const DEFAULT_ADDRESS_GROUPS: &[(&str, &str)] = &[
    ("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"),
    ("EXTERNAL_NET", "!$HOME_NET"),
    ("HTTP_SERVERS", "$HOME_NET"),
    ("SMTP_SERVERS", "$HOME_NET"),
    ("SQL_SERVERS", "$HOME_NET"),
    ("DNS_SERVERS", "$HOME_NET"),
    ("TELNET_SERVERS", "$HOME_NET"),
    ("AIM_SERVERS", "$EXTERNAL_NET"),
    ("DC_SERVERS", "$HOME_NET"),
    ("DNP3_SERVER", "$HOME_NET"),
    ("DNP3_CLIENT", "$HOME_NET"),
    ("MODBUS_CLIENT", "$HOME_NET"),
    ("MODBUS_SERVER", "$HOME_NET"),
    ("ENIP_CLIENT", "$HOME_NET"),
    ("ENIP_SERVER", "$HOME_NET"),
];

/// Suricata 7.0's stock `vars.port-groups`.
pub const DEFAULT_PORT_GROUPS: &[(&str, &str)] = &[
    ("HTTP_PORTS", "80"),
    ("SHELLCODE_PORTS", "!80"),
    ("ORACLE_PORTS", "1521"),
    ("SSH_PORTS", "22"),
    ("DNP3_PORTS", "20000"),
    ("MODBUS_PORTS", "502"),
    ("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"),
    ("FTP_PORTS", "21"),
    ("GENEVE_PORTS", "6081"),
    ("VXLAN_PORTS", "4789"),
    ("TEREDO_PORTS", "3544"),
];

/// Address and port variables for rule headers. `Default` gives Suricata's
/// stock values; the `[rules.vars]` table of the configuration overrides
/// them (`address-groups` and `port-groups`, names without `$`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleVars {
    /// Address groups, e.g. `HOME_NET = "[10.0.0.0/8]"`.
    #[serde(default = "default_address_groups")]
    pub address_groups: BTreeMap<String, String>,
    /// Port groups, e.g. `HTTP_PORTS = "[80,8080]"`.
    #[serde(default = "default_port_groups")]
    pub port_groups: BTreeMap<String, String>,
}

fn default_address_groups() -> BTreeMap<String, String> {
    DEFAULT_ADDRESS_GROUPS
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn default_port_groups() -> BTreeMap<String, String> {
    DEFAULT_PORT_GROUPS
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl Default for RuleVars {
    fn default() -> Self {
        RuleVars {
            address_groups: default_address_groups(),
            port_groups: default_port_groups(),
        }
    }
}

impl RuleVars {
    /// Stock values overlaid with `overrides` (names given there win; the
    /// others keep Suricata's defaults).
    pub fn with_overrides(overrides: &RuleVars) -> RuleVars {
        let mut v = RuleVars::default();
        v.address_groups.extend(
            overrides
                .address_groups
                .iter()
                .map(|(k, x)| (k.clone(), x.clone())),
        );
        v.port_groups.extend(
            overrides
                .port_groups
                .iter()
                .map(|(k, x)| (k.clone(), x.clone())),
        );
        v
    }

    /// An address group's definition.
    pub fn address(&self, name: &str) -> Option<&str> {
        self.address_groups.get(name).map(String::as_str)
    }

    /// A port group's definition.
    pub fn port(&self, name: &str) -> Option<&str> {
        self.port_groups.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_stock_suricata_yaml() {
        let v = RuleVars::default();
        assert_eq!(
            v.address("HOME_NET"),
            Some("[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]")
        );
        assert_eq!(v.address("EXTERNAL_NET"), Some("!$HOME_NET"));
        assert_eq!(v.port("HTTP_PORTS"), Some("80"));
        assert_eq!(v.port("SHELLCODE_PORTS"), Some("!80"));
        assert_eq!(v.port("NOPE"), None);
    }

    #[test]
    fn toml_override_keeps_other_defaults() {
        let o: RuleVars = toml::from_str(
            "[address-groups]\nHOME_NET = \"[10.1.0.0/16]\"\n[port-groups]\nHTTP_PORTS = \"[80,8080]\"\n",
        )
        .unwrap();
        // A table that names some groups replaces the defaults of that table
        // only through `with_overrides`.
        let v = RuleVars::with_overrides(&o);
        assert_eq!(v.address("HOME_NET"), Some("[10.1.0.0/16]"));
        assert_eq!(v.address("EXTERNAL_NET"), Some("!$HOME_NET"));
        assert_eq!(v.port("HTTP_PORTS"), Some("[80,8080]"));
        assert_eq!(v.port("SSH_PORTS"), Some("22"));
    }
}
