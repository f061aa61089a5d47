//! Writes the default badge images for a name, for eyeballing:
//! `cargo run -p rosette-baking --example write_defaults -- "Data Science" /tmp/out`.

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "Open Badge".to_owned());
    let dir = args.next().unwrap_or_else(|| ".".to_owned());
    std::fs::write(
        format!("{dir}/badge.svg"),
        rosette_baking::default_badge_svg(&name),
    )?;
    std::fs::write(
        format!("{dir}/badge.png"),
        rosette_baking::default_badge_png(&name),
    )
}
