//! The witness-mutation sweep (`zkr_circuit::sweep`): one value of a valid batch's assignment
//! changed at a time, over batches holding every operation type; the circuit must reject every
//! mutation that does not prove a natively valid transition. `zkr circuit fuzz --paths all`
//! runs the same sweep over every path sibling.

use zkr_circuit::sweep::{PathCoverage, run};

#[test]
fn no_single_value_mutation_is_an_accepted_forgery() {
    let report = run(PathCoverage::OnePerLevel, 2);
    println!(
        "mutation sweep: {} tried, {} rejected, {} accepted with the same transition, {} accepted with elements that are no pubdata, {} accepted as natively valid other transitions",
        report.tried,
        report.rejected_total(),
        report.same_transition_total(),
        report.not_pubdata,
        report.valid_alternatives.len()
    );
    println!("rejected by rule: {:?}", report.rejected);
    println!(
        "accepted as the same transition: {:?}",
        report.same_transition
    );
    for v in &report.valid_alternatives {
        println!("natively valid: {v}");
    }
    assert!(
        report.forgeries.is_empty(),
        "{} accepted forgeries:\n{}",
        report.forgeries.len(),
        report.forgeries.join("\n")
    );
    assert_eq!(
        report.tried,
        report.rejected_total()
            + report.same_transition_total()
            + report.not_pubdata
            + report.valid_alternatives.len()
    );
    assert!(report.tried > 1_000, "the sweep covers every value");
}
