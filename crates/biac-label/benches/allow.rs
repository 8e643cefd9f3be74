//! The per-record release check: native (`allow_action` on a `Label`) and compiled
//! (`LabelInterner::allow` on a `LabelId`), over a mix of labels and subjects.

use biac_label::{
    allow_action, Action, CategorySet, Classification, CompiledSubject, Holdings, Label,
    LabelInterner, Nation, NationSet, Subject,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn labels() -> Vec<Label> {
    let own = |n| NationSet::single(n);
    let m = |s: &str, o| Label::parse_marking(s, own(o)).unwrap();
    vec![
        Label::unclassified_public(Nation::JPN),
        Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
        m(
            "SECRET//SI/TK//COI MDA, MW//ORCON//REL TO USA, AUS, JPN",
            Nation::USA,
        ),
        m("CONFIDENTIAL//NOFORN", Nation::JPN),
        m(
            "SECRET//COI MW//DISPLAY ONLY//REL TO USA, JPN, KOR",
            Nation::KOR,
        ),
        m("TOP SECRET//SI//RELIDO//REL TO FVEY", Nation::AUS),
    ]
}

fn subjects() -> Vec<Subject> {
    let h = |names: &[&str]| Holdings {
        categories: CategorySet::parse_names(names).unwrap(),
        releasing_official: false,
    };
    vec![
        Subject::new(Nation::JPN, Classification::Secret).with_holdings(h(&["MDA", "MW"])),
        Subject::new(Nation::USA, Classification::TopSecret).with_holdings(h(&["SI", "TK", "MW"])),
        Subject::new(Nation::AUS, Classification::Secret),
        Subject::new(Nation::KOR, Classification::Confidential).with_holdings(h(&["MW"])),
    ]
}

fn bench(c: &mut Criterion) {
    let labels = labels();
    let subjects = subjects();
    let mut interner = LabelInterner::new();
    let ids: Vec<_> = labels.iter().map(|l| interner.intern(l)).collect();
    let compiled: Vec<_> = subjects.iter().map(CompiledSubject::new).collect();
    let n = (labels.len() * subjects.len() * Action::ALL.len()) as u64;

    let mut g = c.benchmark_group("allow");
    g.throughput(criterion::Throughput::Elements(n));
    g.bench_function("native", |b| {
        b.iter(|| {
            let mut k = 0u32;
            for s in &subjects {
                for l in &labels {
                    for a in Action::ALL {
                        k += allow_action(black_box(s), a, black_box(l)) as u32;
                    }
                }
            }
            k
        })
    });
    g.bench_function("compiled", |b| {
        b.iter(|| {
            let mut k = 0u32;
            for s in &compiled {
                for id in &ids {
                    for a in Action::ALL {
                        k += interner.allow(black_box(s), a, black_box(*id)) as u32;
                    }
                }
            }
            k
        })
    });
    g.finish();
    c.bench_function("intern_existing", |b| {
        b.iter(|| interner.intern(black_box(&labels[2])))
    });
    c.bench_function("join", |b| {
        b.iter(|| black_box(&labels[2]).join(black_box(&labels[4])))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
