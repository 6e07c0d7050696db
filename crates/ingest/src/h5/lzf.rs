//! LZF (HDF5 filter 32000, h5py's `compression="lzf"`): written here because hdf5-reader has
//! no LZF decoder and the format is a dozen lines (a literal run or a back-reference per
//! control byte); the crates that implement it bring C or unmaintained code to the wasm build.

/// HDF5's registered id of the LZF filter.
pub const FILTER_LZF: u16 = 32000;

/// Decompresses one LZF block; `capacity` is the expected size (the filter's third parameter).
pub fn decompress(input: &[u8], capacity: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(capacity);
    let mut i = 0;
    while i < input.len() {
        let ctrl = usize::from(input[i]);
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            let lit = input
                .get(i..i + n)
                .ok_or("lzf: a literal runs past the block")?;
            out.extend_from_slice(lit);
            i += n;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += usize::from(*input.get(i).ok_or("lzf: the block ends early")?);
                i += 1;
            }
            let low = usize::from(*input.get(i).ok_or("lzf: the block ends early")?);
            i += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let start = out
                .len()
                .checked_sub(back)
                .ok_or("lzf: a reference before the start of the block")?;
            for k in 0..n + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > capacity.max(1 << 30) {
            return Err("lzf: the block inflates beyond its size".into());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_back_references() {
        // "abcabcabc": literal "abc" (ctrl 2), then a 6-byte match 3 back (ctrl (4<<5)|0, 2).
        let block = [2, b'a', b'b', b'c', 4 << 5, 2];
        assert_eq!(decompress(&block, 9).unwrap(), b"abcabcabc");
        assert!(decompress(&[5, b'a'], 6).is_err());
        assert!(decompress(&[1 << 5, 9], 3).is_err());
    }
}
