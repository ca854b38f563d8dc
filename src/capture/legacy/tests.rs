//! The classic-pcap walker on in-memory files: headers, record boundaries
//! across reads, the absurd-length limit, stopping early. (`file.rs` checks
//! it against `pcap-parser` on every test capture.)

use super::*;

/// A little-endian µs file header for linktype `lt`.
fn file_header(lt: u32) -> Vec<u8> {
    let mut v = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&lt.to_le_bytes());
    v
}

fn record(v: &mut Vec<u8>, sec: u32, frac: u32, caplen: u32, orig: u32, data: &[u8]) {
    for x in [sec, frac, caplen, orig] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(data);
}

/// (sec, frac, orig_len, data) of a record.
type Rec = (u32, u32, u32, Vec<u8>);

/// Every record and how reading stopped.
fn walk(file: &[u8], chunk: usize) -> (Vec<Rec>, Stop) {
    let h = Header::parse(file).unwrap();
    let start = &file[..FILE_HEADER_LEN];
    let mut r = LegacyReader::new(&file[FILE_HEADER_LEN..], start, &h, chunk);
    let mut out = Vec::new();
    let stop = r.for_each(|rec| {
        out.push((rec.ts_sec, rec.ts_frac, rec.orig_len, rec.data.to_vec()));
        true
    });
    (out, stop)
}

#[test]
fn headers() {
    let le = file_header(113);
    assert_eq!(
        Header::parse(&le),
        Some(Header {
            big_endian: false,
            nanos: false,
            linktype: 113
        })
    );
    let mut be_ns = 0xa1b2_3c4du32.to_be_bytes().to_vec();
    be_ns.extend_from_slice(&[0; 16]);
    be_ns.extend_from_slice(&276u32.to_be_bytes());
    assert_eq!(
        Header::parse(&be_ns),
        Some(Header {
            big_endian: true,
            nanos: true,
            linktype: 276
        })
    );
    // Cut header, pcapng, the modified variant: not ours.
    assert!(Header::magic_matches(&le[..4]) && Header::parse(&le[..23]).is_none());
    assert!(Header::parse(&[0x0A, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0]).is_none());
    let mut modified = 0xa1b2_cd34u32.to_le_bytes().to_vec();
    modified.extend_from_slice(&[0; 20]);
    assert!(!Header::magic_matches(&modified) && Header::parse(&modified).is_none());
}

#[test]
fn records_across_every_chunk_size() {
    let mut f = file_header(1);
    let mut want = Vec::new();
    for i in 0..40u32 {
        let data: Vec<u8> = (0..(i * 13 % 97) as u8).collect();
        record(&mut f, i, i * 3, data.len() as u32, 1500, &data);
        want.push((i, i * 3, 1500, data));
    }
    for chunk in [1, 16, 17, 31, 100, 4096, READ_CHUNK] {
        let (got, stop) = walk(&f, chunk);
        assert!(matches!(stop, Stop::End), "chunk {chunk}: {stop:?}");
        assert_eq!(got, want, "chunk {chunk}");
    }
}

#[test]
fn cut_short_inside_header_and_data() {
    let mut f = file_header(1);
    record(&mut f, 1, 0, 4, 4, &[1, 2, 3, 4]);
    record(&mut f, 2, 0, 4, 4, &[5, 6, 7, 8]);
    for cut in 1..20 {
        let (got, stop) = walk(&f[..f.len() - cut], 7);
        assert_eq!(got.len(), 1, "cut {cut}");
        assert!(matches!(stop, Stop::CutShort), "cut {cut}: {stop:?}");
    }
}

#[test]
fn absurd_length_is_the_buffer_limit() {
    // The largest record accepted fills the buffer exactly.
    let max = (BUFFER_CAPACITY - 16) as u32;
    let mut f = file_header(1);
    record(&mut f, 1, 0, max, max, &vec![0xAB; max as usize]);
    record(&mut f, 2, 0, 1, 1, &[1]);
    let (got, stop) = walk(&f, READ_CHUNK);
    assert!(matches!(stop, Stop::End), "{stop:?}");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].3.len(), max as usize);
    // One byte more is damage, even with the bytes present.
    let mut f = file_header(1);
    record(&mut f, 1, 0, 2, 2, &[1, 2]);
    record(&mut f, 2, 0, max + 1, max + 1, &vec![0; max as usize + 1]);
    let (got, stop) = walk(&f, READ_CHUNK);
    assert_eq!(got.len(), 1);
    assert!(matches!(stop, Stop::Absurd), "{stop:?}");
}

#[test]
fn stops_when_asked_and_counts_consumed_bytes() {
    let mut f = file_header(1);
    for i in 0..10u8 {
        record(&mut f, i as u32, 0, 10, 10, &[i; 10]);
    }
    let h = Header::parse(&f).unwrap();
    let mut r = LegacyReader::new(&f[FILE_HEADER_LEN..], &f[..FILE_HEADER_LEN], &h, 40);
    let mut n = 0;
    let stop = r.for_each(|_| {
        n += 1;
        n < 4
    });
    assert!(matches!(stop, Stop::Asked));
    assert_eq!(r.consumed(), FILE_HEADER_LEN + 4 * 26);
    // Reading resumes after the record that stopped it.
    let mut rest = Vec::new();
    assert!(matches!(
        r.for_each(|rec| {
            rest.push(rec.data[0]);
            true
        }),
        Stop::End
    ));
    assert_eq!(rest, vec![4, 5, 6, 7, 8, 9]);
    assert_eq!(r.consumed(), f.len());
}
