//! SVG baking with a real XML reader/writer (quick-xml); no entity expansion, ever.

use quick_xml::events::{BytesCData, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use quick_xml::writer::Writer;

use crate::{
    BakeError, Baked, Credential, MAX_IMAGE_BYTES, OB2_SVG_NAMESPACE, OB3_SVG_NAMESPACE, SvgError,
    UnbakeError, credential_text, parse_ob2_text, parse_ob3_text,
};

const CREDENTIAL_TAG: &str = "openbadges:credential";

fn xml_err(e: impl std::fmt::Display) -> SvgError {
    SvgError::Xml(e.to_string())
}

fn reader(svg: &str) -> NsReader<&[u8]> {
    let mut r = NsReader::from_str(svg);
    let c = r.config_mut();
    c.trim_text(false);
    c.check_end_names = true;
    c.expand_empty_elements = false;
    r
}

/// Refuse DOCTYPEs that declare entities: nothing here expands them, but a document
/// relying on them is either hostile or one we would misread.
fn check_doctype(d: &BytesText<'_>) -> Result<(), SvgError> {
    if d.windows(8).any(|w| w == b"<!ENTITY") {
        return Err(SvgError::EntityDeclaration);
    }
    Ok(())
}

/// Which badge element, if any, a start tag is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BadgeElement {
    Ob3,
    Ob2,
}

fn badge_element(r: &NsReader<&[u8]>, e: &BytesStart<'_>) -> Option<BadgeElement> {
    let (ns, local) = r.resolve_element(e.name());
    match (ns, local.as_ref()) {
        (ResolveResult::Bound(Namespace(n)), b"credential")
            if n == OB3_SVG_NAMESPACE.as_bytes() =>
        {
            Some(BadgeElement::Ob3)
        }
        (ResolveResult::Bound(Namespace(n)), b"assertion") if n == OB2_SVG_NAMESPACE.as_bytes() => {
            Some(BadgeElement::Ob2)
        }
        _ => None,
    }
}

fn check_attrs(e: &BytesStart<'_>) -> Result<(), SvgError> {
    for a in e.attributes() {
        let a = a.map_err(xml_err)?;
        a.unescape_value().map_err(|_| SvgError::UndefinedEntity)?;
    }
    Ok(())
}

fn is_svg_root(e: &BytesStart<'_>) -> bool {
    e.local_name().as_ref() == b"svg"
}

/// The root start tag with `xmlns:openbadges` set to the OB 3.0 namespace.
fn root_with_namespace(e: &BytesStart<'_>) -> Result<BytesStart<'static>, SvgError> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut out = BytesStart::new(name);
    for a in e.attributes() {
        let a = a.map_err(xml_err)?;
        if a.key.as_ref() != b"xmlns:openbadges" {
            out.push_attribute(a);
        }
    }
    out.push_attribute(("xmlns:openbadges", OB3_SVG_NAMESPACE));
    Ok(out)
}

fn write_credential(
    w: &mut Writer<Vec<u8>>,
    credential: &Credential,
    text: &str,
) -> Result<(), SvgError> {
    let mut start = BytesStart::new(CREDENTIAL_TAG);
    match credential {
        Credential::Jwt(_) => {
            start.push_attribute(("verify", text));
            w.write_event(Event::Start(start)).map_err(xml_err)?;
        }
        Credential::Json(_) => {
            w.write_event(Event::Start(start)).map_err(xml_err)?;
            // "]]>" cannot appear inside CDATA: close each section after "]]" and let the
            // next one start with ">".
            let parts: Vec<&str> = text.split("]]>").collect();
            let last = parts.len().saturating_sub(1);
            for (i, p) in parts.iter().enumerate() {
                let lead = if i > 0 { ">" } else { "" };
                let tail = if i < last { "]]" } else { "" };
                let body = format!("{lead}{p}{tail}");
                w.write_event(Event::CData(BytesCData::new(body)))
                    .map_err(xml_err)?;
            }
        }
    }
    w.write_event(Event::End(BytesEnd::new(CREDENTIAL_TAG)))
        .map_err(xml_err)
}

/// Bake `credential` into an SVG: `xmlns:openbadges` on the root `<svg>` and one
/// `<openbadges:credential>` right after its start tag (JWS in `verify`, JSON in CDATA).
/// Existing OB 3.0 credential and OB 2.0 assertion elements are removed, so re-baking replaces.
pub fn bake_svg(svg: &str, credential: &Credential) -> Result<String, BakeError> {
    if svg.len() > MAX_IMAGE_BYTES {
        return Err(BakeError::ImageTooLarge(svg.len()));
    }
    let text = credential_text(credential)?;
    let mut r = reader(svg);
    let mut w = Writer::new(Vec::with_capacity(svg.len() + text.len() + 128));
    let mut depth: usize = 0;
    let mut seen_root = false;
    // Depth at which a removed badge element started; its whole subtree is dropped.
    let mut skipping: Option<usize> = None;
    loop {
        let ev = r.read_event().map_err(xml_err)?;
        match ev {
            Event::Eof => break,
            Event::DocType(ref d) => check_doctype(d)?,
            Event::Start(ref e) | Event::Empty(ref e) => check_attrs(e)?,
            Event::Text(ref t) => {
                t.unescape().map_err(|_| SvgError::UndefinedEntity)?;
            }
            _ => {}
        }
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) if !seen_root => {
                if !is_svg_root(e) {
                    return Err(SvgError::NoSvgRoot.into());
                }
                seen_root = true;
                let root = root_with_namespace(e)?;
                let end = BytesEnd::new(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                w.write_event(Event::Start(root)).map_err(xml_err)?;
                write_credential(&mut w, credential, &text)?;
                if matches!(ev, Event::Empty(_)) {
                    w.write_event(Event::End(end)).map_err(xml_err)?;
                } else {
                    depth += 1;
                }
                continue;
            }
            Event::Start(ref e) => {
                if skipping.is_none() && badge_element(&r, e).is_some() {
                    skipping = Some(depth);
                }
                depth += 1;
            }
            Event::Empty(ref e) if skipping.is_none() && badge_element(&r, e).is_some() => {
                continue;
            }
            Event::End(_) => {
                depth = depth.checked_sub(1).ok_or(SvgError::Unclosed)?;
                if skipping == Some(depth) {
                    skipping = None;
                    continue;
                }
            }
            _ => {}
        }
        if skipping.is_none() {
            w.write_event(ev).map_err(xml_err)?;
        }
    }
    if !seen_root {
        return Err(SvgError::NoSvgRoot.into());
    }
    if depth != 0 {
        return Err(SvgError::Unclosed.into());
    }
    String::from_utf8(w.into_inner()).map_err(|e| SvgError::Xml(e.to_string()).into())
}

/// Read the credential baked into an SVG: the first OB 3.0 `credential` element (`verify`
/// attribute, or CDATA/text body); failing that, an OB 2.0 `assertion` as [`Baked::Ob2`].
/// The whole document is checked for well-formedness. `Ok(None)`: a valid SVG with no badge.
pub fn unbake_svg(svg: &str) -> Result<Option<Baked>, UnbakeError> {
    if svg.len() > MAX_IMAGE_BYTES {
        return Err(UnbakeError::ImageTooLarge(svg.len()));
    }
    let mut r = reader(svg);
    let mut depth: usize = 0;
    let mut seen_root = false;
    let mut found_ob3: Option<Baked> = None;
    let mut found_ob2: Option<Baked> = None;
    // The badge element being read: kind, depth, verify attribute, body so far.
    let mut current: Option<(BadgeElement, usize, Option<String>, String)> = None;
    loop {
        let ev = r.read_event().map_err(xml_err)?;
        match ev {
            Event::Eof => break,
            Event::DocType(ref d) => check_doctype(d)?,
            Event::Start(ref e) | Event::Empty(ref e) => {
                check_attrs(e)?;
                if !seen_root {
                    if !is_svg_root(e) {
                        return Err(SvgError::NoSvgRoot.into());
                    }
                    seen_root = true;
                }
                let kind = badge_element(&r, e);
                let verify = match e.try_get_attribute("verify").map_err(xml_err)? {
                    Some(a) => Some(
                        a.unescape_value()
                            .map_err(|_| SvgError::UndefinedEntity)?
                            .into_owned(),
                    ),
                    None => None,
                };
                if let (Some(kind), None) = (kind, current.as_ref()) {
                    if matches!(ev, Event::Empty(_)) {
                        finish(kind, verify, String::new(), &mut found_ob3, &mut found_ob2)?;
                    } else {
                        current = Some((kind, depth, verify, String::new()));
                    }
                }
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.checked_sub(1).ok_or(SvgError::Unclosed)?;
                if current.as_ref().is_some_and(|c| c.1 == depth)
                    && let Some((kind, _, verify, body)) = current.take()
                {
                    finish(kind, verify, body, &mut found_ob3, &mut found_ob2)?;
                }
            }
            Event::Text(ref t) => {
                let s = t.unescape().map_err(|_| SvgError::UndefinedEntity)?;
                if let Some(c) = current.as_mut() {
                    c.3.push_str(&s);
                }
            }
            Event::CData(ref t) => {
                if let Some(c) = current.as_mut() {
                    c.3.push_str(&String::from_utf8_lossy(t));
                }
            }
            _ => {}
        }
    }
    if !seen_root {
        return Err(SvgError::NoSvgRoot.into());
    }
    if depth != 0 {
        return Err(SvgError::Unclosed.into());
    }
    Ok(found_ob3.or(found_ob2))
}

/// Record a completed badge element; only the first of each generation counts.
fn finish(
    kind: BadgeElement,
    verify: Option<String>,
    body: String,
    ob3: &mut Option<Baked>,
    ob2: &mut Option<Baked>,
) -> Result<(), UnbakeError> {
    let text = verify.unwrap_or(body);
    match kind {
        BadgeElement::Ob3 if ob3.is_none() => *ob3 = Some(parse_ob3_text(&text)?),
        BadgeElement::Ob2 if ob2.is_none() => *ob2 = Some(parse_ob2_text(&text)?),
        _ => {}
    }
    Ok(())
}
