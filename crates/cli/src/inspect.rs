//! `inspect`: read a file once and describe it, without training.

use std::fs::File;
use std::path::PathBuf;
use std::time::Instant;

use vrnn_engine::ingest::ingest;
use vrnn_engine::IngestOptions;
use vrnn_types::time_label;

#[derive(clap::Args)]
pub struct InspectArgs {
    #[arg(long)]
    input: PathBuf,
    /// Column holding the time of each cell (default: detected).
    #[arg(long)]
    time_column: Option<String>,
}

pub fn inspect(args: InspectArgs) -> Result<(), String> {
    let input = args.input.display().to_string();
    let t0 = Instant::now();
    let file = File::open(&args.input).map_err(|e| format!("{input}: {e}"))?;
    let opts = IngestOptions {
        time_column: args.time_column,
        ..IngestOptions::default()
    };
    let tally = ingest(file, &opts).map_err(|e| format!("{input}: {e}"))?;
    let seconds = t0.elapsed().as_secs_f64();
    let d = tally.dataset(None).map_err(|e| format!("{input}: {e}"))?;
    let mb = tally.bytes as f64 / 1e6;
    println!("file: {input}");
    println!(
        "read: {mb:.1} MB, {} rows in {seconds:.2} s ({:.1} MB/s, {:.0} rows/s)",
        tally.rows,
        mb / seconds.max(1e-9),
        tally.rows as f64 / seconds.max(1e-9)
    );
    println!("cells: {}", d.n_cells);
    println!("genes: {}", d.n_genes());
    let constant = d.variances.iter().filter(|&&v| v <= 0.0).count();
    println!("genes that never vary: {constant}");
    println!("time column: {}", d.time_column);
    let times: Vec<String> = d
        .times
        .iter()
        .zip(&d.cells_per_time)
        .map(|(t, n)| format!("{} ({n} cells)", time_label(*t)))
        .collect();
    println!("time points: {}", times.join(", "));
    println!("metadata columns: {}", d.metadata_columns.join(", "));
    match &tally.cell_type_column {
        Some(c) => {
            let types: Vec<String> = tally
                .cell_types()
                .into_iter()
                .map(|t| format!("{} ({} cells)", t.name, t.cells))
                .collect();
            println!("cell types (column {c}): {}", types.join(", "));
        }
        None => println!("cell types: none recognised"),
    }
    Ok(())
}
