use tandem_protocol::front_desk::{ChatStart, FieldKind, FieldSpec, PortalMode};

use super::*;

fn smart_box() -> PortalRecord {
    PortalRecord {
        name: "acme".into(),
        title: "Acme".into(),
        mode: PortalMode::SmartBox,
        chat_start: ChatStart::WebChat,
        fields: vec![
            FieldSpec {
                label: "Email".into(),
                required: true,
                kind: FieldKind::Email,
            },
            FieldSpec {
                label: "Phone".into(),
                required: false,
                kind: FieldKind::Phone,
            },
            FieldSpec {
                label: "Serial".into(),
                required: false,
                kind: FieldKind::Number,
            },
        ],
        open: true,
    }
}

fn form(fields: &[&str]) -> HelpForm {
    HelpForm {
        portal: "acme".into(),
        customer: " Carol ".into(),
        question: "My printer is on fire".into(),
        fields: fields.iter().map(|s| (*s).to_owned()).collect(),
        rep: None,
    }
}

#[test]
fn a_complete_form_passes_trimmed() {
    let ok = check(
        &smart_box(),
        &form(&["carol@example.com", "+49 (30) 123-45", ""]),
    )
    .expect("valid");
    assert_eq!(ok.customer, "Carol");
    assert_eq!(ok.fields.len(), 3);
    assert_eq!(ok.fields[0].label, "Email");
    assert_eq!(ok.fields[2].value, "");
}

#[test]
fn required_kinds_and_caps_are_enforced() {
    let p = smart_box();
    let missing = check(&p, &form(&[])).expect_err("email required");
    assert!(missing.contains("Email"), "{missing}");
    assert!(check(&p, &form(&["not an address"])).is_err());
    assert!(check(&p, &form(&["a@b.c", "call me"])).is_err());
    assert!(check(&p, &form(&["a@b.c", "", "12a"])).is_err());
    assert!(check(&p, &form(&["a@b.c", "", "1", "extra"])).is_err());
    let long = "x".repeat(MAX_FIELD_CHARS + 1);
    assert!(check(&p, &form(&["a@b.c", &long])).is_err());
    let mut f = form(&["a@b.c"]);
    f.question = "q".repeat(MAX_QUESTION_CHARS + 1);
    assert!(check(&p, &f).is_err());
    f.question = "   ".into();
    assert!(check(&p, &f).is_err());
    f.question = "evil\u{202e}txt".into();
    assert!(check(&p, &f).is_err());
    f.question = "two\nlines".into();
    assert!(check(&p, &f).is_ok());
}

#[test]
fn smart_button_takes_no_form_and_smart_match_needs_a_choice() {
    let mut p = smart_box();
    p.mode = PortalMode::SmartButton;
    assert!(
        check(&p, &form(&[])).is_err(),
        "a question on a button portal"
    );
    let mut f = form(&[]);
    f.question.clear();
    assert!(check(&p, &f).is_ok());
    p.mode = PortalMode::SmartMatch;
    assert!(check(&p, &f).is_err());
    f.rep = Some("bob".into());
    assert!(check(&p, &f).is_ok());
    p.mode = PortalMode::SmartButton;
    assert!(check(&p, &f).is_err(), "a choice on a button portal");
}

#[test]
fn field_lists_are_capped() {
    let field = FieldSpec {
        label: "x".into(),
        required: false,
        kind: FieldKind::Text,
    };
    assert!(check_fields(&vec![field.clone(); MAX_FIELDS]).is_ok());
    assert!(check_fields(&vec![field.clone(); MAX_FIELDS + 1]).is_err());
    let blank = FieldSpec {
        label: " ".into(),
        ..field
    };
    assert!(check_fields(&[blank]).is_err());
}
