//! What every signed-in console page shares: the header with the institution's name, the nav
//! bar (the current section marked with `aria-current`) and the sign-out form.

use super::session::StaffSession;
use crate::directory::Caller;

/// The console's sections, in nav order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// `/console/{slug}`.
    Dashboard,
    /// `/console/{slug}/achievements`.
    Achievements,
    /// `/console/{slug}/issue`.
    Issue,
    /// `/console/{slug}/bulk` (bulk issue).
    Bulk,
    /// `/console/{slug}/credentials`.
    Credentials,
    /// `/console/{slug}/verify` (employer verification).
    Verify,
    /// `/console/{slug}/templates` (verifier templates).
    Templates,
    /// `/console/{slug}/settings`.
    Settings,
}

impl Section {
    const ALL: [Self; 8] = [
        Self::Dashboard,
        Self::Achievements,
        Self::Issue,
        Self::Bulk,
        Self::Credentials,
        Self::Verify,
        Self::Templates,
        Self::Settings,
    ];

    /// The path after `/console/{slug}`.
    fn suffix(self) -> &'static str {
        match self {
            Self::Dashboard => "",
            Self::Achievements => "/achievements",
            Self::Issue => "/issue",
            Self::Bulk => "/bulk",
            Self::Credentials => "/credentials",
            Self::Verify => "/verify",
            Self::Templates => "/templates",
            Self::Settings => "/settings",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Dashboard => "Dashboard",
            Self::Achievements => "Achievements",
            Self::Issue => "Issue",
            Self::Bulk => "Bulk issue",
            Self::Credentials => "Credentials",
            Self::Verify => "Verify",
            Self::Templates => "Templates",
            Self::Settings => "Settings",
        }
    }
}

/// One nav link.
#[derive(Debug, Clone)]
pub(crate) struct NavLink {
    /// Where it goes.
    pub(crate) href: String,
    /// What it says.
    pub(crate) label: &'static str,
    /// It is the page being shown (`aria-current="page"`).
    pub(crate) current: bool,
}

/// The layout fields of a console page: give a template a `layout: ConsoleLayout` field and
/// `{% extends "console/layout.html" %}`; fill `{% block title %}` and `{% block content %}`.
/// Its forms put `{{ layout.csrf }}` in a hidden `csrf` field.
#[derive(Debug, Clone)]
pub(crate) struct ConsoleLayout {
    /// The institution's slug.
    pub(crate) slug: String,
    /// Its display name.
    pub(crate) institution: String,
    /// The session's CSRF token.
    pub(crate) csrf: String,
    /// The nav bar.
    pub(crate) nav: Vec<NavLink>,
    /// Signed in with the operator token (shown in the header).
    pub(crate) operator: bool,
    /// On the pages that make QR codes and links: why phones may not reach them.
    pub(crate) phone_warning: Option<String>,
}

impl ConsoleLayout {
    /// The layout of `session` with `current` marked.
    pub(crate) fn new(session: &StaffSession, current: Section) -> Self {
        let base = format!("/console/{}", session.slug);
        Self {
            nav: Section::ALL
                .iter()
                .map(|s| NavLink {
                    href: format!("{base}{}", s.suffix()),
                    label: s.label(),
                    current: *s == current,
                })
                .collect(),
            slug: session.slug.clone(),
            institution: session.institution.clone(),
            csrf: session.csrf_token().to_owned(),
            operator: session.caller == Caller::Operator,
            phone_warning: session
                .phone_warning
                .clone()
                .filter(|_| matches!(current, Section::Dashboard | Section::Issue | Section::Bulk)),
        }
    }

    /// `/console/{slug}`: the prefix of every link of this console.
    pub(crate) fn base(&self) -> String {
        format!("/console/{}", self.slug)
    }
}
