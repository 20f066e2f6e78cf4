//! Reading the Prometheus text formats back, for tests/metrics.rs and tests/metrics_contract.rs.
#![allow(dead_code)]

use std::collections::BTreeMap;

/// One sample of the text format, its label values unescaped.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Reads the samples of a text-format file (both formats; comments skipped). A strict reader of
/// the escapes: anything but `\\`, `\"` and `\n` after a backslash fails the test.
pub fn parse_samples(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name_end = line.find(['{', ' ']).unwrap();
        let name = line[..name_end].to_string();
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices();
            let mut label = String::new();
            loop {
                let (i, c) = chars.next().expect("unterminated labels");
                match c {
                    '}' => {
                        rest = &inner[i + 1..];
                        break;
                    }
                    ',' => {}
                    '=' => {
                        assert_eq!(chars.next().unwrap().1, '"', "{line}");
                        let mut value = String::new();
                        loop {
                            match chars.next().expect("unterminated value").1 {
                                '"' => break,
                                '\\' => match chars.next().unwrap().1 {
                                    '\\' => value.push('\\'),
                                    '"' => value.push('"'),
                                    'n' => value.push('\n'),
                                    other => panic!("bad escape \\{other} in {line}"),
                                },
                                c => value.push(c),
                            }
                        }
                        labels.insert(std::mem::take(&mut label), value);
                    }
                    c => label.push(c),
                }
            }
        }
        let value = rest.split_whitespace().next().unwrap().parse().unwrap();
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    samples
}
