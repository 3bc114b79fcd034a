use super::*;

fn loopback() -> TransportConfig {
    TransportConfig {
        bind_ip: IpAddr::from([127, 0, 0, 1]),
        ..TransportConfig::default()
    }
}

async fn next_message(link: &mut Link) -> (Channel, Vec<u8>) {
    match tokio::time::timeout(Duration::from_secs(10), link.events.recv()).await {
        Ok(Some(LinkEvent::Message(ch, data))) => (ch, data),
        Ok(Some(LinkEvent::Closed(why))) => panic!("closed: {why}"),
        Ok(None) => panic!("event stream ended"),
        Err(_) => panic!("no message within 10 s"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_exchange_on_every_channel_over_loopback() {
    let (offerer, offer) = PendingLink::offer(&loopback()).await.expect("offer");
    assert!(
        offer.contains("127.0.0.1"),
        "offer carries a loopback candidate"
    );
    let (answerer, answer) = PendingLink::answer(&loopback(), offer)
        .await
        .expect("answer");
    offerer.accept_answer(answer).await.expect("accept");
    let (a, b) = tokio::join!(
        offerer.open(Duration::from_secs(10)),
        answerer.open(Duration::from_secs(10))
    );
    let (mut a, mut b) = (a.expect("offerer open"), b.expect("answerer open"));
    for ch in ALL_CHANNELS {
        a.sender.send(ch, &[1, 2, 3]).await.expect("send");
        assert_eq!(next_message(&mut b).await, (ch, vec![1, 2, 3]));
        b.sender.send(ch, &[4]).await.expect("send back");
        assert_eq!(next_message(&mut a).await, (ch, vec![4]));
    }
    // a large message stream arrives complete and in order
    let chunk = vec![7u8; 60 * 1024];
    let sender = a.sender.clone();
    let send_all = tokio::spawn(async move {
        for i in 0..40u8 {
            let mut c = chunk.clone();
            c[0] = i;
            sender.send(Channel::Frames, &c).await.expect("bulk send");
        }
    });
    for i in 0..40u8 {
        let (ch, data) = next_message(&mut b).await;
        assert_eq!((ch, data.len(), data[0]), (Channel::Frames, 60 * 1024, i));
    }
    send_all.await.expect("sender task");
    a.sender.close().await;
}
