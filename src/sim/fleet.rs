//! A generator of realistic fleets: HA pairs of transit and spoke gateways across clouds,
//! regions and accounts, most on the controller's version and a few still on the previous
//! one (the mid-rollout state of controller-api.md §7). The same seed gives the same fleet.

use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::catalog::Catalog;
use crate::cloud::Cloud;
use crate::snapshot::{
    Account, Backup, Controller, ControllerHa, Gateway, GatewayState, GatewayType, Role, Snapshot,
    SnapshotError,
};
use crate::version::Version;

/// What fleet to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetSpec {
    /// Every gateway, HA secondaries included.
    pub gateways: usize,
    pub seed: u64,
    pub controller_version: Version,
    pub previous_version: Option<Version>,
    /// Gateways per thousand still on the previous version.
    pub lagging_per_mille: u32,
    /// Gateways per thousand that are down, waiting, in config_fail or with tunnels down.
    pub unhealthy_per_mille: u32,
    /// When the last backup was taken; `None` means backups are off.
    pub last_backup: Option<Timestamp>,
}

impl Default for FleetSpec {
    /// The demo fleet of controller-api.md §7: controller 7.1.4183, previous 7.0.2239.
    fn default() -> Self {
        Self {
            gateways: 200,
            seed: 1,
            controller_version: Version::new(7, 1, 4183),
            previous_version: Some(Version::new(7, 0, 2239)),
            lagging_per_mille: 30,
            unhealthy_per_mille: 10,
            last_backup: None,
        }
    }
}

impl FleetSpec {
    /// The demo scenario for `catalog`: the controller on the newest build of the train before
    /// the newest (so a platform upgrade is possible), its previous version the newest build of
    /// the train before that, and a few gateways still on it.
    pub fn mid_rollout(catalog: &Catalog, gateways: usize, seed: u64) -> Self {
        let trains: Vec<Version> = catalog
            .trains()
            .filter_map(|train| catalog.newest_in(train))
            .collect();
        let (controller_version, previous_version) = match trains.as_slice() {
            [] => (Version::new(0, 0, 0), None),
            [only] => (*only, None),
            [.., previous, current, _newest] => (*current, Some(*previous)),
            [previous, current] => (*current, Some(*previous)),
        };
        Self {
            gateways,
            seed,
            controller_version,
            previous_version,
            ..Self::default()
        }
    }
}

const AWS_REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "use1"),
    ("us-east-2", "use2"),
    ("us-west-2", "usw2"),
    ("eu-west-1", "euw1"),
    ("eu-central-1", "euc1"),
    ("ap-southeast-1", "apse1"),
    ("ap-northeast-1", "apne1"),
];
const AZURE_REGIONS: &[(&str, &str)] = &[
    ("East US", "eus"),
    ("West US 2", "wus2"),
    ("West Europe", "weu"),
    ("North Europe", "neu"),
    ("Southeast Asia", "sea"),
];
const GCP_REGIONS: &[(&str, &str)] = &[
    ("us-central1", "usc1"),
    ("us-west1", "usw1"),
    ("europe-west1", "euw1"),
    ("asia-east1", "ase1"),
];
const OCI_REGIONS: &[(&str, &str)] = &[
    ("us-ashburn-1", "iad"),
    ("us-phoenix-1", "phx"),
    ("eu-frankfurt-1", "fra"),
];
const ENVIRONMENTS: &[&str] = &["prod", "dev", "shared"];
const APPLICATIONS: &[&str] = &[
    "payments",
    "web",
    "data",
    "erp",
    "crm",
    "analytics",
    "identity",
    "logistics",
    "hr",
    "media",
];
/// Percent of transit and spoke gateways deployed as HA pairs: about 60% of all gateways end
/// up in a pair.
const PAIRED_PERCENT: u32 = 43;

fn regions(cloud: Cloud) -> &'static [(&'static str, &'static str)] {
    match cloud {
        Cloud::Azure => AZURE_REGIONS,
        Cloud::Gcp => GCP_REGIONS,
        Cloud::Oci => OCI_REGIONS,
        _ => AWS_REGIONS,
    }
}

/// Generates a fleet from `spec`, with images taken from `catalog`'s compatibility matrix.
/// Names are unique and HA peers name each other by construction; the snapshot's own
/// validation still runs, so a broken generator is an error, not a bad fleet.
pub fn generate(spec: &FleetSpec, catalog: &Catalog) -> Result<Snapshot, SnapshotError> {
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(spec.seed),
        spec,
        catalog,
        gateways: Vec::with_capacity(spec.gateways),
        serial: 0,
    };
    while generator.gateways.len() < spec.gateways {
        generator.add_group();
    }
    for (index, gateway) in generator.gateways.iter_mut().enumerate() {
        gateway.vpc_id = Some(vpc_id(gateway, index).into());
    }
    Snapshot::new(controller(spec), generator.gateways)
}

fn controller(spec: &FleetSpec) -> Controller {
    let mut controller = Controller::new(spec.controller_version);
    controller.previous_version = spec.previous_version;
    controller.kernel_version = Some("5.15.0-1040-aws".into());
    let checklist = &mut controller.checklist;
    checklist.cloud = Some(Cloud::Aws);
    checklist.instance_type = Some("c5.xlarge".into());
    checklist.controller_ha = Some(ControllerHa {
        enabled: true,
        version: Some("1.7".into()),
        latest_version: Some("1.7".into()),
    });
    checklist.accounts = [Cloud::Aws, Cloud::Azure, Cloud::Gcp, Cloud::Oci]
        .into_iter()
        .flat_map(|cloud| {
            ENVIRONMENTS.iter().map(move |env| Account {
                name: account_name(cloud, env),
                cloud: Some(cloud),
                primary: cloud == Cloud::Aws && *env == "prod",
                valid: true,
                audit_ok: true,
            })
        })
        .collect();
    checklist.backup = Backup {
        enabled: spec.last_backup.is_some(),
        last_backup: spec.last_backup,
        files_kept: if spec.last_backup.is_some() { 3 } else { 0 },
    };
    controller
}

fn account_name(cloud: Cloud, env: &str) -> String {
    format!("{env}-{}", cloud.name())
}

struct Generator<'a> {
    rng: StdRng,
    spec: &'a FleetSpec,
    catalog: &'a Catalog,
    gateways: Vec<Gateway>,
    serial: usize,
}

impl Generator<'_> {
    /// Adds one gateway, or an HA pair when there is room and the dice say so.
    fn add_group(&mut self) {
        self.serial += 1;
        let cloud = self.pick_cloud();
        let &(region, region_short) = self.pick(regions(cloud));
        let env = *self.pick(ENVIRONMENTS);
        let gw_type = self.pick_type();
        let name = self.name(gw_type, env, region_short);
        let room_for_pair = self.spec.gateways - self.gateways.len() >= 2;
        let paired = room_for_pair
            && gw_type != GatewayType::Standalone
            && self.rng.random_range(0..100) < PAIRED_PERCENT;
        let mut primary = self.gateway(&name, cloud, region, env, gw_type, Role::Primary);
        if !paired {
            self.gateways.push(primary);
            return;
        }
        let secondary_name = format!("{name}-hagw");
        let mut secondary = self.gateway(
            &secondary_name,
            cloud,
            region,
            env,
            gw_type,
            Role::Secondary,
        );
        primary.peer = Some(secondary_name.into());
        secondary.peer = Some(name.into());
        self.gateways.push(primary);
        self.gateways.push(secondary);
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn pick_cloud(&mut self) -> Cloud {
        match self.rng.random_range(0..20) {
            0..10 => Cloud::Aws,
            10..15 => Cloud::Azure,
            15..18 => Cloud::Gcp,
            _ => Cloud::Oci,
        }
    }

    fn pick_type(&mut self) -> GatewayType {
        match self.rng.random_range(0..100) {
            0..10 => GatewayType::Transit,
            10..96 => GatewayType::Spoke,
            _ => GatewayType::Standalone,
        }
    }

    /// A company-style name: `prod-use1-spoke-payments-0042`, `shared-weu-transit-0007`,
    /// `dev-iad-egress-0113`, `prod-usw2-vpn-0250`; the serial keeps names unique.
    fn name(&mut self, gw_type: GatewayType, env: &str, region: &str) -> String {
        let serial = self.serial;
        match gw_type {
            GatewayType::Transit => format!("{env}-{region}-transit-{serial:04}"),
            GatewayType::Spoke => {
                let app = *self.pick(APPLICATIONS);
                format!("{env}-{region}-spoke-{app}-{serial:04}")
            }
            GatewayType::Standalone if self.rng.random_bool(0.5) => {
                format!("{env}-{region}-vpn-{serial:04}")
            }
            GatewayType::Standalone => format!("{env}-{region}-egress-{serial:04}"),
        }
    }

    fn per_mille(&mut self, rate: u32) -> bool {
        self.rng.random_range(0..1000) < rate
    }

    fn gateway(
        &mut self,
        name: &str,
        cloud: Cloud,
        region: &str,
        env: &str,
        gw_type: GatewayType,
        role: Role,
    ) -> Gateway {
        let spec = self.spec;
        let lagging = spec
            .previous_version
            .filter(|_| self.per_mille(spec.lagging_per_mille));
        let software = lagging.unwrap_or(spec.controller_version);
        let mut gateway = Gateway::new(name, cloud, region, gw_type, role, software);
        gateway.account = Some(account_name(cloud, env).into());
        gateway.previous_software_version = match lagging {
            Some(_) => None,
            None => spec.previous_version,
        };
        if let Some(entry) = self.catalog.image_for(cloud, software.train()) {
            gateway.image_version = Some(entry.image.as_str().into());
            gateway.kernel_version = entry.kernel.as_deref().map(Into::into);
        }
        gateway.bgp_peers = match gw_type {
            GatewayType::Transit => self.rng.random_range(1..5),
            _ => 0,
        };
        if name.contains("-vpn-") {
            gateway.openvpn = true;
            gateway.openvpn_users = self.rng.random_range(0..120);
        }
        if self.per_mille(spec.unhealthy_per_mille) {
            self.make_unhealthy(&mut gateway);
        }
        gateway
    }

    fn make_unhealthy(&mut self, gateway: &mut Gateway) {
        match self.rng.random_range(0..4) {
            0 => gateway.state = GatewayState::Down,
            1 => gateway.state = GatewayState::ConfigFail,
            2 => gateway.state = GatewayState::Waiting,
            _ => gateway.tunnels_up = false,
        }
    }
}

/// A VPC id in the cloud's shape (controller-api.md §4), stable per gateway position.
pub(crate) fn vpc_id(gateway: &Gateway, index: usize) -> String {
    let vpc = index / 2;
    match gateway.cloud {
        Cloud::Gcp => format!("vpc-{vpc:05}~-~netops-prod-{}", vpc % 7),
        Cloud::Azure | Cloud::AzureGov | Cloud::AzureChina => {
            format!(
                "vnet-{vpc:05}:rg-network-{}:{:08x}-0000-4000-8000-{vpc:012x}",
                vpc % 5,
                vpc
            )
        }
        Cloud::Oci => format!("ocid1.vcn.oc1..aaaa{vpc:016x}"),
        _ => format!(
            "vpc-{:017x}~~{}",
            vpc.wrapping_mul(0x9e37_79b9) & 0xffff_ffff_ffff,
            gateway.name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::builtin().expect("built-in catalog")
    }

    #[test]
    fn counts_every_gateway_including_secondaries() {
        for count in [0, 1, 2, 3, 101, 1000] {
            let spec = FleetSpec {
                gateways: count,
                ..FleetSpec::default()
            };
            assert_eq!(
                generate(&spec, &catalog()).expect("valid").gateways().len(),
                count
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_fleet() {
        let spec = FleetSpec::default();
        assert_eq!(generate(&spec, &catalog()), generate(&spec, &catalog()));
        assert!(generate(&spec, &catalog()).is_ok());
        let other = FleetSpec {
            seed: 2,
            ..spec.clone()
        };
        assert_ne!(generate(&spec, &catalog()), generate(&other, &catalog()));
    }

    #[test]
    fn the_fleet_is_a_realistic_mid_rollout() {
        let spec = FleetSpec {
            gateways: 2000,
            ..FleetSpec::default()
        };
        let fleet = generate(&spec, &catalog()).expect("valid");
        let gateways = fleet.gateways();
        let lagging = gateways
            .iter()
            .filter(|gateway| gateway.software_version != spec.controller_version)
            .count();
        assert!((20..=120).contains(&lagging), "{lagging} lagging");
        let paired = gateways
            .iter()
            .filter(|gateway| gateway.peer.is_some())
            .count();
        let share = paired as f64 / gateways.len() as f64;
        assert!(
            (0.5..0.7).contains(&share),
            "{share} in HA pairs, expected about 0.6"
        );
        let vpn = gateways.iter().filter(|gateway| gateway.openvpn).count();
        assert!((2..=60).contains(&vpn), "{vpn} OpenVPN gateways");
        for cloud in [Cloud::Aws, Cloud::Azure, Cloud::Gcp, Cloud::Oci] {
            assert!(
                gateways.iter().any(|gateway| gateway.cloud == cloud),
                "{cloud}"
            );
        }
        assert!(
            gateways
                .iter()
                .all(|gateway| gateway.image_version.is_some())
        );
        assert!(gateways.iter().any(|gateway| gateway.bgp_peers > 0));
    }
}
