use crate::frame::{EncodeError, HEADER_LEN};
use crate::*;
use domain::*;
use proptest::prelude::*;

fn actor() -> Actor {
    Actor::new("wang", Role::DutyOfficer, "console-1")
}

fn fix() -> Fix {
    Fix {
        position: GeoPoint::new(43.88, 125.32),
        accuracy_m: Some(4.5),
        source: FixSource::Nmea,
        taken_at: Timestamp(1_763_900_000_000),
    }
}

fn state() -> State {
    let mut s = State::default();
    let team = Team {
        id: TeamId::new("HZ-1"),
        name: "长春市危化品救援队".into(),
        kind: TeamKind::Hazchem,
        tier: 1,
        capabilities: vec![],
        headcount: 30,
        equipment: vec!["侦检车 1".into()],
        jurisdiction: JurisdictionId::new("长春市"),
        home: GeoPoint::new(43.9, 125.3),
        radio_ids: vec!["BG7ABC-9".into()],
        status: TeamStatus::Available,
        last_fix: Some(fix()),
        support: None,
    };
    let e = Event {
        at: Timestamp(1),
        actor: actor(),
        kind: EventKind::TeamRegistered(Box::new(team)),
    };
    s.apply(&e);
    s
}

fn every_client_message() -> Vec<ClientMessage> {
    vec![
        ClientMessage::Hello(Hello {
            protocol_version: PROTOCOL_VERSION,
            client: "console 0.1.0".into(),
            user: "wang".into(),
            token: "s3cret".into(),
            device: "console-1".into(),
        }),
        ClientMessage::Subscribe {
            realm: RealmId::live(),
            from_seq: 42,
        },
        ClientMessage::Unsubscribe {
            realm: RealmId("drill-1".into()),
        },
        ClientMessage::Command {
            id: 7,
            realm: RealmId::live(),
            command: Box::new(Command::AdvanceOrder {
                order: OrderId::new("O-1"),
                step: OrderStep::Refused {
                    reason: "车辆故障".into(),
                },
            }),
        },
        ClientMessage::Field(FieldObservation {
            device: "BG7ABC-9".into(),
            fix: Some(fix()),
            status: Some("EN ROUTE".into()),
            emergency: true,
            text: Some("请求增援".into()),
            realm: RealmId::live(),
        }),
        ClientMessage::OpenDrill {
            realm: RealmId("drill-20261123-a".into()),
        },
        ClientMessage::CloseDrill {
            realm: RealmId("drill-20261123-a".into()),
        },
        ClientMessage::Ping { nonce: u64::MAX },
        ClientMessage::ReadLog {
            realm: RealmId::live(),
            from: 2001,
        },
        ClientMessage::DrillControl {
            realm: RealmId("drill-20261123-a".into()),
            action: DrillAction::Load {
                file: "德惠.toml".into(),
                text: "[drill]\ntitle = \"演练\"\n".into(),
                base: Some("[[team]]\n".into()),
            },
        },
        ClientMessage::DrillControl {
            realm: RealmId("drill-20261123-a".into()),
            action: DrillAction::Speed { speed: 50 },
        },
    ]
}

fn every_server_message() -> Vec<ServerMessage> {
    vec![
        ServerMessage::Welcome(Welcome {
            protocol_version: PROTOCOL_VERSION,
            relay: "relay-cc".into(),
            role: Role::Commander,
            realms: vec![RealmInfo {
                realm: RealmId::live(),
                drill: false,
                last_seq: 9,
            }],
        }),
        ServerMessage::Snapshot {
            realm: RealmId::live(),
            seq: 9,
            state: Box::new(state()),
        },
        ServerMessage::Decision {
            realm: RealmId::live(),
            seq: 10,
            decision: Box::new(Decision {
                at: Timestamp(2),
                actor: actor(),
                command: Command::ReportFix {
                    team: TeamId::new("HZ-1"),
                    fix: fix(),
                },
                events: vec![Event {
                    at: Timestamp(2),
                    actor: actor(),
                    kind: EventKind::FixReported {
                        team: TeamId::new("HZ-1"),
                        fix: fix(),
                    },
                }],
            }),
        },
        ServerMessage::Resync {
            realm: RealmId::live(),
            sent_up_to: 10,
        },
        ServerMessage::CommandResult {
            id: 7,
            outcome: CommandOutcome::Accepted { seq: 10 },
        },
        ServerMessage::CommandResult {
            id: 8,
            outcome: CommandOutcome::Rejected(Rejection::InsufficientStock {
                depot: DepotId::new("D-1"),
                shortages: vec![Shortage {
                    item: ItemId::new("foam"),
                    requested: 5,
                    available: 1,
                }],
            }),
        },
        ServerMessage::CommandResult {
            id: 9,
            outcome: CommandOutcome::Failed {
                code: ErrorCode::UnknownRealm,
                message: "no realm drill-9".into(),
            },
        },
        ServerMessage::Pong { nonce: 3 },
        ServerMessage::LogPage {
            realm: RealmId::live(),
            records: vec![LogRecord {
                seq: 1,
                time: 1_795_451_400_000,
                payload: vec![0, 1, 2, 255],
            }],
            head: Some(SignedHead {
                seq: 1,
                time: 1_795_451_400_001,
                hash: [7; 32],
                public_key: [9; 32],
                signature: vec![3; 64],
            }),
        },
        ServerMessage::Error {
            code: ErrorCode::Unauthenticated,
            message: "bad token".into(),
        },
        ServerMessage::DrillStatus {
            realm: RealmId("drill-20261123-a".into()),
            status: DrillStatus {
                title: "德惠化工园区液氨泄漏事故应急演练".into(),
                clock: DrillClockState::Paused,
                speed: 10,
                scenario_ms: 600_000,
                duration_ms: 1_800_000,
                error: Some("cannot Resume a drill that is Halted".into()),
            },
        },
    ]
}

#[test]
fn every_client_message_round_trips() {
    for m in every_client_message() {
        let bytes = encode(&m, Limits::FROM_CLIENT).expect("encodes");
        let (back, used): (ClientMessage, usize) =
            decode(&bytes, Limits::FROM_CLIENT).expect("decodes");
        assert_eq!(back, m);
        assert_eq!(used, bytes.len());
    }
}

#[test]
fn every_server_message_round_trips() {
    for m in every_server_message() {
        let bytes = encode(&m, Limits::FROM_RELAY).expect("encodes");
        let (back, _): (ServerMessage, usize) =
            decode(&bytes, Limits::FROM_RELAY).expect("decodes");
        assert_eq!(back, m);
    }
}

#[test]
fn a_stream_split_at_every_byte_yields_the_same_messages() {
    let msgs = every_server_message();
    let stream: Vec<u8> = msgs
        .iter()
        .flat_map(|m| encode(m, Limits::FROM_RELAY).expect("encodes"))
        .collect();
    for split in 0..stream.len() {
        let mut d = FrameDecoder::new(Limits::FROM_RELAY);
        let mut out = Vec::new();
        for chunk in [&stream[..split], &stream[split..]] {
            d.push(chunk);
            while let Some(m) = d.next_message::<ServerMessage>().expect("valid stream") {
                out.push(m);
            }
        }
        assert_eq!(out, msgs, "split at {split}");
        assert_eq!(d.buffered(), 0);
    }
}

#[test]
fn oversized_frames_are_refused_before_reading_the_payload() {
    let mut bytes = (2u32 << 20).to_be_bytes().to_vec();
    bytes.extend([0u8; 16]);
    let r = decode::<ClientMessage>(&bytes, Limits::FROM_CLIENT);
    assert_eq!(
        r.err(),
        Some(DecodeError::TooLarge {
            len: 2 << 20,
            max: 1 << 20
        })
    );
    let mut d = FrameDecoder::new(Limits::FROM_CLIENT);
    d.push(&bytes[..HEADER_LEN]);
    assert!(matches!(
        d.next_message::<ClientMessage>(),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn an_oversized_message_is_not_encoded() {
    let big = ClientMessage::Field(FieldObservation {
        device: "x".repeat(2 << 20),
        fix: None,
        status: None,
        emergency: false,
        text: None,
        realm: RealmId::live(),
    });
    assert!(matches!(
        encode(&big, Limits::FROM_CLIENT),
        Err(EncodeError::TooLarge { .. })
    ));
}

#[test]
fn truncated_and_trailing_input_are_typed_errors() {
    let bytes = encode(&ClientMessage::Ping { nonce: 1 }, Limits::FROM_CLIENT).expect("encodes");
    assert!(matches!(
        decode::<ClientMessage>(&bytes[..bytes.len() - 1], Limits::FROM_CLIENT),
        Err(DecodeError::Truncated { needed: 1 })
    ));
    assert!(matches!(
        decode::<ClientMessage>(&bytes[..2], Limits::FROM_CLIENT),
        Err(DecodeError::Truncated { needed: 2 })
    ));
    // Same payload with one extra byte inside the frame.
    let mut padded = bytes.clone();
    padded.push(0);
    let len = (padded.len() - HEADER_LEN) as u32;
    padded[..HEADER_LEN].copy_from_slice(&len.to_be_bytes());
    assert_eq!(
        decode::<ClientMessage>(&padded, Limits::FROM_CLIENT).err(),
        Some(DecodeError::TrailingBytes(1))
    );
}

#[test]
fn an_unknown_message_tag_is_malformed() {
    let bytes = [0, 0, 0, 1, 0xEE];
    assert!(matches!(
        decode::<ClientMessage>(&bytes, Limits::FROM_CLIENT),
        Err(DecodeError::Malformed(_))
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode::<ClientMessage>(&bytes, Limits::FROM_CLIENT);
        let _ = decode::<ServerMessage>(&bytes, Limits::FROM_RELAY);
        let mut d = FrameDecoder::new(Limits::FROM_CLIENT);
        d.push(&bytes);
        while let Ok(Some(_)) = d.next_message::<ClientMessage>() {}
    }

    #[test]
    fn corrupting_a_valid_frame_never_panics(idx in 0usize..4096, val in any::<u8>(), which in 0usize..8) {
        let msgs = every_client_message();
        let mut bytes = encode(&msgs[which % msgs.len()], Limits::FROM_CLIENT).expect("encodes");
        let i = idx % bytes.len();
        bytes[i] = val;
        let _ = decode::<ClientMessage>(&bytes, Limits::FROM_CLIENT);
    }

    #[test]
    fn fields_round_trip(device in ".{0,64}", text in proptest::option::of(".{0,200}"), nonce in any::<u64>(),
                         lat in -90.0f64..90.0, lon in -180.0f64..180.0, t in any::<i64>()) {
        let m = ClientMessage::Field(FieldObservation {
            device,
            fix: Some(Fix { position: GeoPoint::new(lat, lon), accuracy_m: None, source: FixSource::Aprs, taken_at: Timestamp(t) }),
            status: None,
            emergency: nonce % 2 == 0,
            text,
            realm: RealmId::live(),
        });
        let bytes = encode(&m, Limits::FROM_CLIENT).expect("encodes");
        let (back, _): (ClientMessage, usize) = decode(&bytes, Limits::FROM_CLIENT).expect("decodes");
        prop_assert_eq!(back, m);
    }
}
