// What an engine writes for `gguf-doctor audit` (docs/audit.md): a folder with one float32 .npy per
// tensor, named after the GGUF tensor, and a trace JSON (docs/trace.md) of its activations. Standard
// library only (no crates).
//
// The "engine" here is a stand-in: its loader's token_embd.weight comes from a float32 .npy that
// `gguf-doctor dump` wrote, and its only op is the embedding lookup. SCALE (default 1) multiplies the
// values, to see a diagnosis.
//
//   rustc -O engine_dump.rs -o engine_dump
//   ./engine_dump token_embd.npy OUT_DIR 1,2,3 [SCALE]
//   gguf-doctor audit MODEL --dump OUT_DIR --only token_embd.weight
//   gguf-doctor audit MODEL --trace OUT_DIR/trace.json
use std::fs::{self, File};
use std::io::{BufWriter, Write};

/// A float32 .npy (NumPy format 1.0); shape outermost first, values in C order.
fn write_npy(path: &str, shape: &[usize], values: &[f32]) -> std::io::Result<()> {
    let dims: String = shape.iter().map(|d| format!("{},", d)).collect();
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
    header.push_str(&" ".repeat(63 - (10 + header.len()) % 64)); // the data starts at a multiple of 64
    header.push('\n');
    let mut f = BufWriter::new(File::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&(header.len() as u16).to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    for v in values {
        f.write_all(&v.to_le_bytes())?;
    }
    f.flush()
}

/// JSON has no NaN or infinity: the trace format spells them "nan", "inf", "-inf".
fn json_number(x: f64) -> String {
    if x.is_nan() {
        "\"nan\"".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "\"inf\"" } else { "\"-inf\"" }.to_string()
    } else {
        format!("{:?}", x)
    }
}

/// One trace record. x: the activation of every evaluated position, [rows = n_tokens][width], row-major.
fn record(layer: i32, op: &str, rows: usize, width: usize, x: &[f32]) -> String {
    let finite: Vec<f64> = x.iter().filter(|v| v.is_finite()).map(|&v| v as f64).collect();
    let n = finite.len().max(1) as f64;
    let min = finite.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = finite.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let (min, max) = if finite.is_empty() { (0.0, 0.0) } else { (min, max) };
    let mean = finite.iter().sum::<f64>() / n;
    let rms = (finite.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
    let first: Vec<String> = x.iter().take(8).map(|&v| json_number(v as f64)).collect();
    format!(
        "{{\"layer\": {}, \"op\": \"{}\", \"shape\": [{}, {}], \"min\": {}, \"max\": {}, \"mean\": {}, \"rms\": {}, \
         \"non_finite\": {}, \"first\": [{}]}}",
        layer, op, rows, width, json_number(min), json_number(max), json_number(mean), json_number(rms),
        x.len() - finite.len(), first.join(", ")
    )
}

fn write_trace(path: &str, tokens: &[usize], records: &[String]) -> std::io::Result<()> {
    let ids: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
    let text = format!(
        "{{\"format\": \"gguf-doctor-trace\", \"version\": 1, \"backend\": \"my-engine\",\n \"tokens\": [{}],\n \
         \"records\": [\n  {}\n ]}}\n",
        ids.join(", "),
        records.join(",\n  ")
    );
    fs::write(path, text)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 || args.len() > 5 {
        eprintln!("usage: engine_dump TOKEN_EMBD.npy OUT_DIR TOKEN,TOKEN,... [SCALE]");
        std::process::exit(3);
    }
    // The stand-in loader: a float32 .npy as gguf-doctor dump writes it ([n_vocab, n_embd]).
    let raw = fs::read(&args[1])?;
    let header_length = u16::from_le_bytes([raw[8], raw[9]]) as usize;
    let header = String::from_utf8_lossy(&raw[10..10 + header_length]);
    let dims: Vec<usize> = header.split("'shape': (").nth(1).unwrap().split(')').next().unwrap()
        .split(',').filter(|d| !d.trim().is_empty()).map(|d| d.trim().parse().unwrap()).collect();
    let (n_vocab, n_embd) = (dims[0], dims[1]);
    let scale: f32 = if args.len() == 5 { args[4].parse().unwrap() } else { 1.0 };
    let embd: Vec<f32> = raw[10 + header_length..10 + header_length + 4 * n_vocab * n_embd]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * scale)
        .collect();

    // The dump: one file per tensor, named after the GGUF tensor, NumPy shape [ne1, ne0].
    let out = &args[2];
    fs::create_dir_all(out)?;
    write_npy(&format!("{}/token_embd.weight.npy", out), &[n_vocab, n_embd], &embd)?;

    // The trace: evaluate the tokens from position 0 and record each op's activation.
    let tokens: Vec<usize> = args[3].split(',').map(|t| t.parse().unwrap()).collect();
    let h: Vec<f32> = tokens.iter().flat_map(|&t| embd[t * n_embd..(t + 1) * n_embd].iter().cloned()).collect();
    let records = vec![record(-1, "embedding", tokens.len(), n_embd, &h)];
    write_trace(&format!("{}/trace.json", out), &tokens, &records)?;
    println!("wrote {}/token_embd.weight.npy ({} x {}) and {}/trace.json", out, n_vocab, n_embd, out);
    Ok(())
}
