//! `inspect`: read the input once and describe it, without training: the check before a long
//! run (format, matrix, cells or samples, genes, time values and their mapping, cell types or
//! conditions, counts or values), and the ingest benchmark.

use vrnn_types::time_label;

use crate::input::InputArgs;

#[derive(clap::Args)]
pub struct InspectArgs {
    #[command(flatten)]
    input: InputArgs,
}

pub fn inspect(args: InspectArgs) -> Result<(), String> {
    let opts = args.input.options(None)?;
    let read = args.input.read(&opts)?;
    let (tally, input, seconds) = (&read.tally, &read.name, read.seconds);
    let d = tally.dataset(None).map_err(|e| format!("{input}: {e}"))?;
    let info = tally.read_info();
    let unit = info.format.unit();
    let mb = tally.bytes as f64 / 1e6;
    println!("file: {input}");
    println!("format: {}", info.format.describe());
    println!(
        "read: {mb:.1} MB, {} rows in {seconds:.2} s ({:.1} MB/s, {:.0} rows/s)",
        tally.rows,
        mb / seconds.max(1e-9),
        tally.rows as f64 / seconds.max(1e-9)
    );
    println!("{unit}: {}", d.n_cells);
    println!("genes: {}", d.n_genes());
    let constant = d.variances.iter().filter(|&&v| v <= 0.0).count();
    println!("genes that never vary: {constant}");
    println!("values: {}", info.normalization.rule);
    println!("time column: {}", d.time_column);
    let times: Vec<String> = d
        .times
        .iter()
        .zip(&d.cells_per_time)
        .map(|(t, n)| format!("{} ({n} {unit})", time_label(*t)))
        .collect();
    println!("time points: {}", times.join(", "));
    if !info.time_values.is_empty() {
        let mapped: Vec<String> = info
            .time_values
            .iter()
            .take(50)
            .map(|v| {
                let t = v.time.map_or("?".into(), time_label);
                let unit = v
                    .unit
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default();
                let given = if v.given { ", given" } else { "" };
                format!("{} -> {t}{unit}{given}", v.label)
            })
            .collect();
        println!("time values: {}", mapped.join("; "));
    }
    println!("metadata columns: {}", d.metadata_columns.join(", "));
    let group = if info.format == vrnn_types::InputFormat::BulkTable {
        "conditions"
    } else {
        "cell types"
    };
    match &tally.cell_type_column {
        Some(c) => {
            let types: Vec<String> = tally
                .cell_types()
                .into_iter()
                .map(|t| format!("{} ({} {unit})", t.name, t.cells))
                .collect();
            println!("{group} (column {c}): {}", types.join(", "));
        }
        None => println!("{group}: none recognised"),
    }
    for n in &info.notices {
        println!("notice: {n}");
    }
    Ok(())
}
