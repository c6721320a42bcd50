"""herscan: fast, accurate audio analysis for music.

    >>> import herscan
    >>> p = herscan.analyze('track.flac')             # the CLI's profile, as a dict
    >>> p['tempo']['bpm'], p['key']['camelot']
    >>> p = herscan.analyze('track.flac', frames='mel')
    >>> p['frames']['mel_db'].shape                    # numpy float32 (n_frames, 128)
    >>> y, sr = librosa.load('track.flac', sr=None, mono=False)
    >>> herscan.analyze_array(y, sr)                   # audio already in memory

Errors are herscan.HerscanError subclasses (DecodeError, UnsupportedFormat, FileNotFound,
InvalidArgument), each with `.code` as in the CLI's error records. Analysis releases the GIL.
Streaming processors: LoudnessMeter, Stft, Mel, Chroma. A cluster: herscan.dask.
docs/python.md.
"""
from ._herscan import (  # noqa: F401
    Chroma,
    DecodeError,
    FileNotFound,
    HerscanError,
    InvalidArgument,
    LoudnessMeter,
    Mel,
    Stft,
    UnsupportedFormat,
    __version__,
    analyze,
    analyze_array,
)

__all__ = [
    'analyze', 'analyze_array', 'LoudnessMeter', 'Stft', 'Mel', 'Chroma', 'HerscanError',
    'DecodeError', 'UnsupportedFormat', 'FileNotFound', 'InvalidArgument', '__version__',
]
