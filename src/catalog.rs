//! The release catalog: every published build with its attributes, and the image compatibility
//! matrix (which gateway image an image upgrade installs, per cloud and software train).
//!
//! Format: `spec/formats.md`. The default catalog is `assets/releases.json`, built into the binary.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::cloud::Cloud;
use crate::load::{self, LoadError};
use crate::version::{Train, Version};

/// The only catalog format this build reads and writes.
pub const CATALOG_FORMAT: u32 = 1;

const BUILTIN_NAME: &str = "assets/releases.json (built in)";
const BUILTIN_JSON: &str = include_str!("../assets/releases.json");

/// What a release is, as the release notes call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseKind {
    #[default]
    Build,
    SecurityPatch,
    SoftwarePatch,
}

/// One published build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub version: Version,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "iso_date"
    )]
    pub date: Option<Date>,
    #[serde(default)]
    pub kind: ReleaseKind,
    #[serde(default = "default_true")]
    pub hitless: bool,
    #[serde(default)]
    pub openvpn_restart: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl ReleaseKind {
    /// The release notes' word for it.
    pub fn words(self) -> &'static str {
        match self {
            ReleaseKind::Build => "build",
            ReleaseKind::SecurityPatch => "security patch",
            ReleaseKind::SoftwarePatch => "software patch",
        }
    }
}

impl Release {
    /// What to understand before upgrading to it, on one line, as the guide asks ("understand
    /// the release contents" first): `7.2.5090 (2024-07-09, security patch; hitless; OpenVPN
    /// restarts: connected users are disconnected): Security patch: ...`.
    pub fn summary(&self) -> String {
        let mut facts = vec![match self.date {
            Some(date) => format!("{date}, {}", self.kind.words()),
            None => self.kind.words().to_owned(),
        }];
        facts.push(match self.hitless {
            true => "hitless".to_owned(),
            false => "NOT hitless: the data plane restarts".to_owned(),
        });
        if self.openvpn_restart {
            facts.push("OpenVPN restarts: connected users are disconnected".to_owned());
        }
        let head = format!("{} ({})", self.version, facts.join("; "));
        match &self.notes {
            Some(notes) => format!("{head}: {notes}"),
            None => head,
        }
    }
}

impl Release {
    /// A hitless build with no OpenVPN restart and no notes.
    pub fn build(version: Version) -> Self {
        Self {
            version,
            date: None,
            kind: ReleaseKind::Build,
            hitless: true,
            openvpn_restart: false,
            notes: None,
        }
    }
}

fn iso_date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
    load::optional_text(deserializer, "date", "YYYY-MM-DD such as 2022-01-10")
}

fn default_true() -> bool {
    true
}

/// One row of the compatibility matrix: the image an image upgrade installs on `cloud` for
/// gateways running software of train `software`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEntry {
    pub cloud: Cloud,
    pub software: Train,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    format: u32,
    releases: Vec<Release>,
    #[serde(default)]
    images: Vec<ImageEntry>,
}

/// A catalog whose content breaks a rule of the format; `path` is the JSON path of the culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct CatalogError {
    pub path: String,
    pub message: String,
}

/// The releases (sorted oldest first), their trains, and the image matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    releases: Vec<Release>,
    /// Each train with its newest build, in train order.
    trains: Vec<(Train, Version)>,
    images: Vec<ImageEntry>,
    image_index: HashMap<(Cloud, Train), usize>,
}

impl Catalog {
    /// Builds a catalog; releases may come in any order but must be unique, and so must the
    /// image rows per (cloud, train).
    pub fn new(releases: Vec<Release>, images: Vec<ImageEntry>) -> Result<Self, CatalogError> {
        if releases.is_empty() {
            return Err(CatalogError {
                path: "releases".into(),
                message: "expected at least one release, found none".into(),
            });
        }
        reject_duplicate_releases(&releases)?;
        let image_index = index_images(&images)?;
        let mut releases = releases;
        releases.sort_by_key(|release| release.version);
        let trains = newest_per_train(&releases);
        Ok(Self {
            releases,
            trains,
            images,
            image_index,
        })
    }

    /// A catalog of plain hitless builds with no image matrix (handy for tests and tools).
    pub fn from_versions(
        versions: impl IntoIterator<Item = Version>,
    ) -> Result<Self, CatalogError> {
        Self::new(
            versions.into_iter().map(Release::build).collect(),
            Vec::new(),
        )
    }

    /// The catalog built into the binary, `assets/releases.json`.
    pub fn builtin() -> Result<Self, LoadError> {
        Self::parse(BUILTIN_NAME, BUILTIN_JSON.as_bytes())
    }

    /// Reads a catalog file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let bytes = load::read_file(path, load::FileKind::Catalog)?;
        Self::parse(&path.display().to_string(), &bytes)
    }

    /// Parses catalog JSON; `file` names the document in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, LoadError> {
        let document: CatalogFile = load::parse_json(file, bytes)?;
        if document.format != CATALOG_FORMAT {
            return Err(LoadError::at(
                file,
                "format",
                format!(
                    "expected format {CATALOG_FORMAT}, found {}: this build reads catalog format {CATALOG_FORMAT} only",
                    document.format
                ),
            ));
        }
        Self::new(document.releases, document.images)
            .map_err(|error| LoadError::at(file, error.path, error.message))
    }

    /// The catalog as JSON in the documented format.
    pub fn to_json(&self) -> String {
        let document = CatalogFile {
            format: CATALOG_FORMAT,
            releases: self.releases.clone(),
            images: self.images.clone(),
        };
        serde_json::to_string_pretty(&document).unwrap_or_default()
    }

    /// Every release, oldest first.
    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// The attributes of one published version.
    pub fn release(&self, version: Version) -> Option<&Release> {
        self.releases
            .binary_search_by_key(&version, |release| release.version)
            .ok()
            .map(|index| &self.releases[index])
    }

    /// The image matrix rows, as given.
    pub fn images(&self) -> &[ImageEntry] {
        &self.images
    }

    /// The newest version in the catalog.
    pub fn latest(&self) -> Version {
        self.trains
            .last()
            .map(|&(_, newest)| newest)
            .unwrap_or(Version::new(0, 0, 0))
    }

    /// Every train, oldest first.
    pub fn trains(&self) -> impl DoubleEndedIterator<Item = Train> + '_ {
        self.trains.iter().map(|&(train, _)| train)
    }

    /// The newest build of `train`, if the catalog has that train.
    pub fn newest_in(&self, train: Train) -> Option<Version> {
        self.trains
            .binary_search_by_key(&train, |&(known, _)| known)
            .ok()
            .map(|index| self.trains[index].1)
    }

    /// The catalog's trains newer than `after` and no newer than `up_to`, oldest first, each
    /// with its newest build: exactly the hops a path from `after` to `up_to` takes.
    pub fn trains_after(
        &self,
        after: Train,
        up_to: Train,
    ) -> impl Iterator<Item = (Train, Version)> + '_ {
        self.trains
            .iter()
            .copied()
            .filter(move |&(train, _)| train > after && train <= up_to)
    }

    /// The first train in the catalog newer than `train`.
    pub fn next_train(&self, train: Train) -> Option<Train> {
        self.trains().find(|&known| known > train)
    }

    /// The image an image upgrade installs on `cloud` for software of `train`.
    pub fn image_for(&self, cloud: Cloud, train: Train) -> Option<&ImageEntry> {
        self.image_index
            .get(&(cloud, train))
            .map(|&index| &self.images[index])
    }
}

fn reject_duplicate_releases(releases: &[Release]) -> Result<(), CatalogError> {
    let mut seen: HashMap<Version, usize> = HashMap::with_capacity(releases.len());
    for (index, release) in releases.iter().enumerate() {
        if let Some(first) = seen.insert(release.version, index) {
            return Err(CatalogError {
                path: format!("releases[{index}].version"),
                message: format!(
                    "version {} is listed twice (also at releases[{first}]): expected each version once",
                    release.version
                ),
            });
        }
    }
    Ok(())
}

fn index_images(images: &[ImageEntry]) -> Result<HashMap<(Cloud, Train), usize>, CatalogError> {
    let mut index: HashMap<(Cloud, Train), usize> = HashMap::with_capacity(images.len());
    for (position, entry) in images.iter().enumerate() {
        if let Some(first) = index.insert((entry.cloud, entry.software), position) {
            return Err(CatalogError {
                path: format!("images[{position}]"),
                message: format!(
                    "cloud {} and software {} already have an image at images[{first}]: expected one image per cloud and train",
                    entry.cloud, entry.software
                ),
            });
        }
    }
    Ok(index)
}

fn newest_per_train(sorted: &[Release]) -> Vec<(Train, Version)> {
    let mut newest: BTreeMap<Train, Version> = BTreeMap::new();
    for release in sorted {
        newest.insert(release.version.train(), release.version);
    }
    newest.into_iter().collect()
}

#[cfg(test)]
mod tests;
