#!/usr/bin/python3
"""
Writes real DICOM test fixtures and their expected intensities, independently of Heatcheck's code.

    /usr/bin/python3 scripts/make_dicom_fixtures.py OUT_DIR

For each base image (pydicom, Explicit VR Little Endian: 8-, 10-, 12-, 15- and 16-bit, signed and
unsigned, MONOCHROME1 and 2, with and without window and rescale, a VOI LUT Sequence, non-square),
converts it with gdcmconv (--rle, --jpeg, --jpegls, --jpegls --lossy, --j2k, --j2k --lossy) and dcmtk (dcmcjpeg,
dcmcrle), and writes beside each file:

    <name>.expected.npy   float32 H x W, the image's intensities in [0, 1]: pydicom's
                          apply_modality_lut then apply_voi_lut (window or VOI LUT), min-max when
                          the file has neither, scaled to [0, 1] and inverted for MONOCHROME1;
    <name>.values.npy     float64 H x W, the modality values (apply_modality_lut of the masked
                          stored values).

Lossless files take the base image's expectation. Lossy files take it from `gdcmconv --raw` of the
lossy file (GDCM's decoder, read by pydicom). OUT_DIR/fixtures.json lists every file with its
transfer syntax, whether it is lossy, and its source. Exit 3 when gdcmconv/dcmtk are missing.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

TS_NAMES = {
    '1.2.840.10008.1.2.1': 'explicit-le',
    '1.2.840.10008.1.2.4.50': 'jpeg-baseline',
    '1.2.840.10008.1.2.4.51': 'jpeg-extended',
    '1.2.840.10008.1.2.4.57': 'jpeg-lossless-14',
    '1.2.840.10008.1.2.4.70': 'jpeg-lossless-sv1',
    '1.2.840.10008.1.2.4.80': 'jpeg-ls',
    '1.2.840.10008.1.2.4.81': 'jpeg-ls-near',
    '1.2.840.10008.1.2.4.90': 'j2k-lossless',
    '1.2.840.10008.1.2.4.91': 'j2k',
    '1.2.840.10008.1.2.5': 'rle',
}


def pattern(rows, cols, lo, hi, seed):
    """A smooth gradient with a bright disc and a little noise, spanning [lo, hi] (integers)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    g = (x / max(1, cols - 1)) * 0.6 + (y / max(1, rows - 1)) * 0.3
    disc = ((x - cols * 0.6) ** 2 + (y - rows * 0.4) ** 2) < (min(rows, cols) * 0.25) ** 2
    g = g + disc * 0.3 + rng.uniform(-0.02, 0.02, size=g.shape)
    g = (g - g.min()) / (g.max() - g.min())
    v = np.round(lo + g * (hi - lo)).astype(np.int64)
    v.flat[0] = lo
    v.flat[-1] = hi
    return v


def base(name, rows, cols, bits_stored, signed, photometric, lo, hi, window=None, rescale=None, voi_lut=None, bits_allocated=None, junk_high_bits=False, seed=1):
    bits_allocated = bits_allocated or (8 if bits_stored <= 8 else 16)
    values = pattern(rows, cols, lo, hi, seed)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.1.1'  # Digital X-Ray Image Storage - For Presentation
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = generate_uid()
    ds = FileDataset(name, {}, file_meta=meta, preamble=b'\0' * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = 'Fixture^Synthetic'
    ds.PatientID = 'FIXTURE'
    ds.Modality = 'DX'
    ds.Rows = rows
    ds.Columns = cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if window:
        ds.WindowCenter = window[0]
        ds.WindowWidth = window[1]
    if rescale:
        ds.RescaleSlope = rescale[0]
        ds.RescaleIntercept = rescale[1]
        ds.RescaleType = 'US'
    if voi_lut:
        item = Dataset()
        first, bits, table = voi_lut
        item.LUTDescriptor = [len(table), first, bits]
        item.LUTExplanation = 'fixture'
        item[0x00283006] = DataElement(0x00283006, 'US', [int(t) for t in table])
        ds.VOILUTSequence = Sequence([item])
    dtype = {(8, False): np.uint8, (8, True): np.int8, (16, False): np.uint16, (16, True): np.int16}[(bits_allocated, signed)]
    stored = values.astype(dtype)
    ds.PixelData = stored.tobytes()
    clean = ds.copy()
    if junk_high_bits:
        # Bits above Bits Stored are not part of the value (PS3.5 8.1.1): set them and expect them ignored.
        raw = stored.view(np.uint16 if bits_allocated == 16 else np.uint8).copy()
        high = ((1 << bits_allocated) - 1) ^ ((1 << bits_stored) - 1)
        raw.flat[::3] |= np.array(high, dtype=raw.dtype)
        ds.PixelData = raw.tobytes()
    return ds, clean, values


def expected(ds, values):
    """pydicom's Modality LUT then VOI LUT (window or LUT), min-max when neither, scaled to [0, 1], MONOCHROME1 inverted."""
    mod = apply_modality_lut(values, ds).astype(np.float64)
    if 'VOILUTSequence' in ds:
        item = ds.VOILUTSequence[0]
        bits = int(item.LUTDescriptor[2])
        # apply_voi_lut's LUT lookup wants integer input: the modality values here are integral.
        y = apply_voi_lut(np.round(mod).astype(np.int64), ds, prefer_lut=True).astype(np.float64) / (2 ** bits - 1)
    elif 'WindowCenter' in ds and 'WindowWidth' in ds:
        # apply_voi_lut's output range: 0..2^BitsStored-1 (unsigned) or signed range, rescaled like the input.
        out = apply_voi_lut(mod.copy(), ds, prefer_lut=False).astype(np.float64)
        bs = int(ds.BitsStored)
        if int(ds.PixelRepresentation) == 0:
            y_min, y_max = 0, 2 ** bs - 1
        else:
            y_min, y_max = -(2 ** (bs - 1)), 2 ** (bs - 1) - 1
        if 'RescaleSlope' in ds and 'RescaleIntercept' in ds:
            y_min = y_min * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
            y_max = y_max * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        y = (out - y_min) / (y_max - y_min)
    else:
        lo, hi = mod.min(), mod.max()
        y = (mod - lo) / (hi - lo) if hi > lo else np.zeros_like(mod)
    if ds.PhotometricInterpretation == 'MONOCHROME1':
        y = 1 - y
    return y.astype(np.float32), mod


def masked(ds):
    """Stored values with the bits above Bits Stored cleared, sign-extended per Pixel Representation (PS3.5 8.1.1)."""
    bs = int(ds.BitsStored)
    v = ds.pixel_array.astype(np.int64) & ((1 << bs) - 1)
    if int(ds.PixelRepresentation) == 1:
        v = np.where(v >= (1 << (bs - 1)), v - (1 << bs), v)
    return v


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0 and os.path.exists(cmd[-1]) and os.path.getsize(cmd[-1]) > 0, (r.stderr or r.stdout).strip()


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    out = sys.argv[1]
    missing = [t for t in ('gdcmconv', 'dcmcjpeg', 'dcmcrle') if not shutil.which(t)]
    if missing:
        print(f'missing tools: {", ".join(missing)} (apt-get install libgdcm-tools dcmtk)', file=sys.stderr)
        return 3
    os.makedirs(out, exist_ok=True)
    bases = [
        # name, rows, cols, bits stored, signed, photometric, lo, hi, window, rescale, voi lut
        dict(name='cr10-mono1-window', rows=40, cols=56, bits_stored=10, signed=False, photometric='MONOCHROME1', lo=3, hi=1020, window=(600, 700), junk_high_bits=True),
        dict(name='ct12-signed-rescale-window', rows=48, cols=32, bits_stored=12, signed=True, photometric='MONOCHROME2', lo=-2000, hi=2000, window=(40, 400), rescale=(1, -1024)),
        dict(name='dx16-nowindow', rows=36, cols=60, bits_stored=16, signed=False, photometric='MONOCHROME2', lo=100, hi=65000),
        dict(name='mr15-signed-rescale', rows=30, cols=44, bits_stored=15, signed=True, photometric='MONOCHROME2', lo=-9000, hi=12000, rescale=(0.5, 100)),
        dict(name='dx12-voilut-mono1', rows=32, cols=52, bits_stored=12, signed=False, photometric='MONOCHROME1', lo=0, hi=4095,
             voi_lut=(0, 16, np.round(65535 * (np.linspace(0, 1, 4096) ** 0.5)).astype(np.int64))),
        dict(name='xa8-window', rows=40, cols=64, bits_stored=8, signed=False, photometric='MONOCHROME2', lo=5, hi=250, window=(128, 200)),
    ]
    listing = []

    def add(path, ts_source, lossy, source, exp, vals):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        ts = str(ds.file_meta.TransferSyntaxUID)
        name = os.path.basename(path)[:-4]
        np.save(os.path.join(out, f'{name}.expected.npy'), exp)
        np.save(os.path.join(out, f'{name}.values.npy'), vals)
        listing.append(dict(file=os.path.basename(path), transferSyntax=ts, syntax=TS_NAMES.get(ts, ts), lossy=lossy, source=source, tool=ts_source,
                            rows=int(ds.Rows), cols=int(ds.Columns), bitsStored=int(ds.BitsStored), signed=int(ds.PixelRepresentation) == 1,
                            photometric=str(ds.PhotometricInterpretation)))

    for spec in bases:
        seed = len(listing) + 1
        ds, clean, values = base(seed=seed, **spec)
        name = spec['name']
        src = os.path.join(out, f'{name}.dcm')
        ds.save_as(src, write_like_original=False)
        exp, vals = expected(clean, values)
        add(src, 'pydicom', False, None, exp, vals)
        # The converters read the clean file (junk high bits are only for the native one).
        clean_path = os.path.join(out, f'.{name}.clean.dcm')
        clean.save_as(clean_path, write_like_original=False)
        bits = spec['bits_stored']
        conversions = [
            ('rle', ['gdcmconv', '--rle', clean_path], False),
            ('jpegls', ['gdcmconv', '--jpegls', clean_path], False),
            ('j2k', ['gdcmconv', '--j2k', clean_path], False),
            ('j2k-lossy', ['gdcmconv', '--j2k', '--lossy', '-q', '55', clean_path], True),
            ('jpegls-near', ['gdcmconv', '--jpegls', '--lossy', '-e', '2', clean_path], True),
            ('jpeg-lossless', ['gdcmconv', '--jpeg', clean_path], False),
            ('dcmtk-rle', ['dcmcrle', clean_path], False),
        ]
        if bits <= 8:
            conversions.append(('jpeg-baseline', ['dcmcjpeg', '--encode-baseline', clean_path], True))
        if bits <= 12 and not spec['signed']:
            conversions.append(('dcmtk-jpeg-lossless', ['dcmcjpeg', '--encode-lossless-sv1', clean_path], False))
        for suffix, cmd, lossy in conversions:
            dst = os.path.join(out, f'{name}.{suffix}.dcm')
            ok, msg = run(cmd + [dst])
            if not ok:
                print(f'skip {name}.{suffix}: {msg[:200]}', file=sys.stderr)
                if os.path.exists(dst):
                    os.remove(dst)
                continue
            if lossy:
                raw = os.path.join(out, f'.{name}.{suffix}.raw.dcm')
                ok, msg = run(['gdcmconv', '--raw', dst, raw])
                if not ok:
                    print(f'skip {name}.{suffix}: gdcmconv --raw failed: {msg[:200]}', file=sys.stderr)
                    os.remove(dst)
                    continue
                rds = pydicom.dcmread(raw)
                e, v = expected(rds, masked(rds))
                os.remove(raw)
            else:
                e, v = exp, vals
            add(dst, cmd[0], lossy, f'{name}.dcm', e, v)
        os.remove(clean_path)
    with open(os.path.join(out, 'fixtures.json'), 'w') as f:
        json.dump({'fixtures': listing}, f, indent=1)
    print(json.dumps({'fixtures': len(listing), 'syntaxes': sorted({x['syntax'] for x in listing})}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
