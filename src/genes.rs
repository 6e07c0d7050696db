//! Gene names and cluster members as the page needs them: lists typed by the user, the gene
//! search and its completion, and the genes of each cluster. Plain functions on slices, so they
//! are tested natively.

use vrnn_protocol::ClusterView;

/// The names in a list typed by the user (genes of interest, a search): separated by commas,
/// semicolons or white space.
pub fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ' ', ';', '\t', '\n'])
        .filter(|s| !s.is_empty())
}

/// The row of a gene: the exact name first, then case-insensitively.
pub fn find(genes: &[String], name: &str) -> Option<usize> {
    let name = name.trim();
    genes
        .iter()
        .position(|g| g == name)
        .or_else(|| genes.iter().position(|g| g.eq_ignore_ascii_case(name)))
}

/// The rows of the genes named in a typed list (each once, in the order named), and the names
/// not found.
pub fn parse(genes: &[String], text: &str) -> (Vec<usize>, Vec<String>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in split_list(text) {
        match find(genes, name) {
            Some(g) if !found.contains(&g) => found.push(g),
            Some(_) => {}
            None => missing.push(name.to_string()),
        }
    }
    (found, missing)
}

/// Up to `n` genes whose names match what was typed: prefix matches first, then substrings,
/// case-insensitively.
pub fn suggestions(genes: &[String], typed: &str, n: usize) -> Vec<usize> {
    let q = typed.trim().to_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    let lower: Vec<String> = genes.iter().map(|g| g.to_lowercase()).collect();
    let mut out: Vec<usize> = (0..lower.len())
        .filter(|&g| lower[g].starts_with(&q))
        .take(n)
        .collect();
    if out.len() < n {
        out.extend(
            (0..lower.len())
                .filter(|&g| !lower[g].starts_with(&q) && lower[g].contains(&q))
                .take(n - out.len()),
        );
    }
    out
}

/// The genes of each cluster (index 0 = cluster 1); labels outside 1..=k are left out.
pub fn members(clusters: &ClusterView) -> Vec<Vec<usize>> {
    let mut m = vec![Vec::new(); clusters.k];
    for (g, &c) in clusters.labels.iter().enumerate() {
        if (1..=clusters.k).contains(&c) {
            m[c - 1].push(g);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lists_split_on_commas_semicolons_and_spaces() {
        let got: Vec<&str> = split_list("IRF1, CXCL9;CXCL10\tSTAT1\n").collect();
        assert_eq!(got, ["IRF1", "CXCL9", "CXCL10", "STAT1"]);
        assert_eq!(split_list(" , ").count(), 0);
    }

    #[test]
    fn genes_are_found_exactly_first_then_ignoring_case() {
        let genes = names(&["irf1", "IRF1", "Cxcl9"]);
        assert_eq!(find(&genes, " IRF1 "), Some(1));
        assert_eq!(find(&genes, "CXCL9"), Some(2));
        assert_eq!(find(&genes, "STAT1"), None);
    }

    #[test]
    fn typed_lists_give_each_gene_once_and_the_names_not_found() {
        let genes = names(&["IRF1", "CXCL9", "CXCL10"]);
        let (found, missing) = parse(&genes, "cxcl10, IRF1 IRF1, STAT1");
        assert_eq!(found, [2, 0]);
        assert_eq!(missing, ["STAT1"]);
    }

    #[test]
    fn suggestions_put_prefixes_before_substrings() {
        let genes = names(&["ACXCL", "CXCL9", "CXCL10", "IRF1"]);
        assert_eq!(suggestions(&genes, "cxcl", 8), [1, 2, 0]);
        assert_eq!(suggestions(&genes, "cxcl", 1), [1]);
        assert!(suggestions(&genes, "  ", 8).is_empty());
    }

    #[test]
    fn members_follow_the_one_based_labels() {
        let clusters = ClusterView {
            k: 2,
            labels: vec![2, 1, 2, 0],
            ..Default::default()
        };
        assert_eq!(members(&clusters), [vec![1], vec![0, 2]]);
    }
}
