//! The files a run produces, in the formats of interfaces.md. The browser and the CLI both
//! write them from here, so a download and a CLI output never differ.

use serde::{Deserialize, Serialize};

use vrnn_types::{
    files, time_label, Backend, DatasetShape, EnrichmentView, GeneSelection, SimilarGene,
};

use crate::analysis::{Analysis, AnalysisConfig, AnalysisTimings};
use crate::change::GeneStat;
use crate::ingest::Dataset;
use crate::train::{EpochLosses, TrainConfig};

/// Quotes a CSV field when it needs it (gene names may contain commas or quotes).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `gene,<t1>,<t2>,...`: the per-time mean matrix with the real time values.
pub fn means_csv(d: &Dataset) -> String {
    time_matrix_csv(&d.genes, &d.times, &d.means)
}

/// A `genes × T` matrix with a `gene,<t1>,...` header.
fn time_matrix_csv(genes: &[String], times: &[f64], values: &[f32]) -> String {
    let mut s = String::from("gene");
    for &t in times {
        s.push(',');
        s.push_str(&time_label(t));
    }
    s.push('\n');
    let steps = times.len().max(1);
    for (name, row) in genes.iter().zip(values.chunks(steps)) {
        s.push_str(&field(name));
        for v in row {
            s.push(',');
            s.push_str(&v.to_string());
        }
        s.push('\n');
    }
    s
}

/// A file of a run, ready to be written or downloaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFile {
    pub name: String,
    pub mime: &'static str,
    pub contents: String,
}

impl ExportFile {
    /// A file named `name`, offered with the MIME type its extension calls for.
    pub fn new(name: &str, contents: String) -> ExportFile {
        ExportFile {
            name: name.to_string(),
            mime: files::mime(name),
            contents,
        }
    }
}

/// `gene,cluster,membership,core` with clusters 1..=k, as every view numbers them: the soft
/// membership in its own cluster, and whether that reaches the core threshold.
pub fn clusters_csv(a: &Analysis) -> String {
    let mut s = String::from("gene,cluster,membership,core\n");
    let own = a.own_membership();
    for (g, name) in a.genes.iter().enumerate() {
        let m = own[g];
        let core = m >= a.core_threshold;
        let c = a.clustering.labels[g] + 1;
        s.push_str(&format!("{},{c},{m:.6},{core}\n", field(name)));
    }
    s
}

/// `gene,cluster,membership_1..membership_k`: soft memberships beside the hard cluster.
pub fn memberships_csv(a: &Analysis) -> String {
    let k = a.clustering.k;
    let mut s = String::from("gene,cluster");
    for c in 1..=k {
        s.push_str(&format!(",membership_{c}"));
    }
    s.push('\n');
    for (g, name) in a.genes.iter().enumerate() {
        s.push_str(&format!("{},{}", field(name), a.clustering.labels[g] + 1));
        for m in &a.memberships[g * k..(g + 1) * k] {
            s.push_str(&format!(",{m:.6}"));
        }
        s.push('\n');
    }
    s
}

/// The genes of one cluster (1-based), one per line, for enrichment tools.
pub fn gene_list(a: &Analysis, cluster: usize) -> String {
    let mut s = String::new();
    for (g, &l) in a.genes.iter().zip(&a.clustering.labels) {
        if l + 1 == cluster {
            s.push_str(g);
            s.push('\n');
        }
    }
    s
}

/// All clusters as a GMT gene-set file (name, description, genes; tab-separated); with
/// `cores_only`, each cluster's membership core.
pub fn clusters_gmt(a: &Analysis, cores_only: bool) -> String {
    let k = a.clustering.k;
    let cores = a.cores();
    let mut s = String::new();
    for c in 0..k {
        let members: Vec<&str> = (0..a.n_genes())
            .filter(|&g| a.clustering.labels[g] == c && (!cores_only || cores[g]))
            .map(|g| a.genes[g].as_str())
            .collect();
        let what = if cores_only {
            format!("core (membership >= {})", a.core_threshold)
        } else {
            String::new()
        };
        let (name, sep) = if cores_only { ("_core", " ") } else { ("", "") };
        s.push_str(&format!(
            "cluster_{}{name}\tVRNN cluster {} of {k}{sep}{what} ({} genes)",
            c + 1,
            c + 1,
            members.len()
        ));
        for g in members {
            s.push('\t');
            s.push_str(g);
        }
        s.push('\n');
    }
    s
}

/// `gene,cluster,confidence`: how often each gene lands with its cluster's other members when
/// the clustering is done again ([`crate::stability`]).
pub fn stability_csv(a: &Analysis) -> String {
    let mut s = String::from("gene,cluster,confidence\n");
    for (g, name) in a.genes.iter().enumerate() {
        let c = a.stability.confidence.get(g).copied().unwrap_or(f64::NAN);
        s.push_str(&format!(
            "{},{},{c:.6}\n",
            field(name),
            a.clustering.labels[g] + 1
        ));
    }
    s
}

/// `cluster,set,overlap,set_size,fold,p,q,genes`: every cluster's terms with at least one
/// gene in it, smallest p first; genes separated by `;`.
pub fn enrichment_csv(e: &EnrichmentView) -> String {
    let mut s = String::from("cluster,set,overlap,set_size,fold,p,q,genes\n");
    for (c, terms) in e.clusters.iter().enumerate() {
        for t in terms {
            s.push_str(&format!(
                "{},{},{},{},{:.6},{:e},{:e},{}\n",
                c + 1,
                field(&t.set),
                t.overlap,
                t.set_size,
                t.fold,
                t.p,
                t.q,
                field(&t.genes.join(";"))
            ));
        }
    }
    s
}

/// `gene,mean,variance,f,p,q,effect,welch,analysed`: every gene read, with its test for change
/// over time ([`crate::change`]).
pub fn genes_csv(stats: &[GeneStat]) -> String {
    let mut s = String::from("gene,mean,variance,f,p,q,effect,welch,analysed\n");
    for g in stats {
        s.push_str(&format!(
            "{},{:.6},{:.6},{:.6},{:e},{:e},{:.6},{},{}\n",
            field(&g.gene),
            g.mean,
            g.variance,
            g.test.f,
            g.test.p,
            g.q,
            g.test.effect,
            g.test.welch,
            g.analysed
        ));
    }
    s
}

/// `gene,z1..zD`: the latent summary that was clustered.
pub fn latents_csv(a: &Analysis) -> String {
    let d = a.latents.dim;
    let mut s = String::from("gene");
    for i in 1..=d {
        s.push_str(&format!(",z{i}"));
    }
    s.push('\n');
    for (name, row) in a.genes.iter().zip(a.latents.values.chunks(d.max(1))) {
        s.push_str(&field(name));
        for v in row {
            s.push(',');
            s.push_str(&v.to_string());
        }
        s.push('\n');
    }
    s
}

/// `gene,umap1,umap2`.
pub fn umap_csv(a: &Analysis) -> String {
    let mut s = String::from("gene,umap1,umap2\n");
    for (name, p) in a.genes.iter().zip(&a.umap) {
        s.push_str(&format!("{},{},{}\n", field(name), p[0], p[1]));
    }
    s
}

/// `query,rank,gene,distance,cluster` for one or more similar-dynamics queries.
pub fn similar_csv(queries: &[(String, Vec<SimilarGene>)]) -> String {
    let mut s = String::from("query,rank,gene,distance,cluster\n");
    for (q, genes) in queries {
        for (r, g) in genes.iter().enumerate() {
            s.push_str(&format!(
                "{},{},{},{},{}\n",
                field(q),
                r + 1,
                field(&g.gene),
                g.distance,
                g.cluster
            ));
        }
    }
    s
}

/// Names of every file [`analysis_file`] can produce for this analysis.
pub fn analysis_file_names(a: &Analysis) -> Vec<String> {
    let mut names: Vec<String> = files::ANALYSIS.map(String::from).to_vec();
    if a.enrichment.is_some() {
        names.push(files::ENRICHMENT_CSV.into());
    }
    names.extend((1..=a.clustering.k).map(files::cluster_list));
    names
}

/// One file of the analysis by name (see [`analysis_file_names`]).
pub fn analysis_file(a: &Analysis, name: &str) -> Option<ExportFile> {
    let contents = match name {
        files::CLUSTERS_CSV => clusters_csv(a),
        files::MEMBERSHIPS_CSV => memberships_csv(a),
        files::CLUSTERS_GMT => clusters_gmt(a, false),
        files::CORES_GMT => clusters_gmt(a, true),
        files::STABILITY_CSV => stability_csv(a),
        files::ENRICHMENT_CSV => enrichment_csv(a.enrichment.as_ref()?),
        files::LATENTS_CSV => latents_csv(a),
        files::UMAP_CSV => umap_csv(a),
        files::MEANS_CSV => time_matrix_csv(&a.genes, &a.times, &a.means),
        files::RECONSTRUCTION_CSV => time_matrix_csv(&a.genes, &a.times, &a.latents.recon),
        _ => {
            let c = files::parse_cluster_list(name)?;
            if c == 0 || c > a.clustering.k {
                return None;
            }
            gene_list(a, c)
        }
    };
    Some(ExportFile::new(name, contents))
}

/// `epoch,train_loss,test_loss`.
pub fn loss_csv(history: &[EpochLosses]) -> String {
    let mut s = String::from("epoch,train_loss,test_loss\n");
    for e in history {
        s.push_str(&format!("{},{},{}\n", e.epoch, e.train, e.test));
    }
    s
}

/// The shape of a data set, as the page's summary and `run.json` report it.
pub fn shape(d: &Dataset) -> DatasetShape {
    DatasetShape {
        n_cells: d.n_cells,
        n_genes: d.n_genes(),
        time_column: d.time_column.clone(),
        metadata_columns: d.metadata_columns.clone(),
        times: d.times.clone(),
        cells_per_time: d.cells_per_time.clone(),
    }
}

/// The data set of a run, as `run.json` reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetInfo {
    #[serde(flatten)]
    pub shape: DatasetShape,
    /// The cell type the run was restricted to (absent: all cells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_type: Option<String>,
    /// Per time point, the natural log of the factor that normalisation put on every gene's
    /// counts, relative to the first time (`composition::log_factors`), as the Dynamics preset
    /// undid it. Absent for the Reference preset and where the values are not log1p counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition_log_factors: Option<Vec<f64>>,
}

impl DatasetInfo {
    pub fn of(d: &Dataset, cell_type: Option<&str>) -> Self {
        Self {
            shape: shape(d),
            cell_type: cell_type.map(str::to_string),
            composition_log_factors: None,
        }
    }

    /// With the factors a run's inputs undid (`Prepared::log_factors`), computed once there.
    pub fn with_composition(mut self, log_factors: Option<Vec<f64>>) -> Self {
        self.composition_log_factors = log_factors;
        self
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timings {
    pub ingest_s: f64,
    pub train_s: f64,
    pub seconds_per_epoch: f64,
    /// Threads that computed the batches' parts (`config.parts`): the speed's, not the
    /// numbers'.
    #[serde(default = "one")]
    pub threads: usize,
}

/// A read of which nothing was recorded (a session from before `read` existed).
fn unknown(r: &vrnn_types::ReadInfo) -> bool {
    *r == vrnn_types::ReadInfo::default()
}

/// One thread: what a missing `threads` reads as (runs from before it was recorded).
pub(crate) fn one() -> usize {
    1
}

/// `run.json`: every setting used, the data's shape, versions and timings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub input: String,
    /// How the input was read: its format, whether counts were normalised and by which
    /// rule, and the time each label stood for (absent for a session saved before it was
    /// recorded).
    #[serde(default, skip_serializing_if = "unknown")]
    pub read: vrnn_types::ReadInfo,
    pub preset: String,
    pub backend: Backend,
    pub config: TrainConfig,
    pub dataset: DatasetInfo,
    pub n_train_genes: usize,
    pub n_test_genes: usize,
    /// How the genes were chosen.
    #[serde(default)]
    pub gene_selection: GeneSelectionInfo,
    /// Extra trainings with other seeds that the stability compares.
    #[serde(default)]
    pub stability_runs: usize,
    pub timings: Timings,
    /// Settings and timings of the analysis after training (absent when it did not run).
    #[serde(default)]
    pub analysis: Option<AnalysisInfo>,
    /// The random generator the seed drives (absent in files from before it was recorded).
    #[serde(default)]
    pub generator: String,
    pub version: String,
}

/// The gene selection of `run.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneSelectionInfo {
    pub rule: GeneSelection,
    /// At most this many genes (None: every gene the rule keeps).
    pub top: Option<usize>,
    /// The false-discovery rate and smallest effect of [`GeneSelection::Change`].
    pub fdr: f64,
    pub min_effect: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalysisInfo {
    pub config: AnalysisConfig,
    /// Membership-core threshold of `clusters.csv`'s `core` column.
    #[serde(default)]
    pub core_threshold: f64,
    pub timings: AnalysisTimings,
    pub cluster_sizes: Vec<usize>,
}

impl AnalysisInfo {
    pub fn of(a: &Analysis) -> Self {
        Self {
            config: a.config.clone(),
            core_threshold: a.core_threshold,
            timings: a.timings.clone(),
            cluster_sizes: a.clustering.sizes(),
        }
    }
}

impl RunInfo {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_csv_uses_real_times_and_quotes_names() {
        let d = Dataset {
            time_column: "Time".into(),
            metadata_columns: vec![],
            times: vec![0.0, 3.0, 0.5],
            genes: vec!["IRF1".into(), "A,B".into()],
            n_cells: 6,
            cells_per_time: vec![2, 2, 2],
            means: vec![1.0, 2.0, 3.0, 4.0, 5.5, 6.0],
            std_errors: vec![0.0; 6],
            variances: vec![1.0; 2],
            linear_means: vec![],
            exp_neg_means: vec![],
        };
        assert_eq!(means_csv(&d), "gene,0,3,0.5\nIRF1,1,2,3\n\"A,B\",4,5.5,6\n");
    }

    #[test]
    fn loss_csv_has_the_contract_header() {
        let h = [EpochLosses {
            epoch: 1,
            train: 0.5,
            test: 0.25,
        }];
        assert_eq!(loss_csv(&h), "epoch,train_loss,test_loss\n1,0.5,0.25\n");
    }
}
