namespace Gateway.Authentication;

/// <summary>What the extractor found in a request.</summary>
internal enum CredentialStatus
{
    /// <summary>No credential anywhere.</summary>
    None,
    /// <summary>Exactly one credential, in <see cref="Credential.Value"/>.</summary>
    Present,
    /// <summary>Two different credentials (or one header twice): 400.</summary>
    Ambiguous,
    /// <summary>A credential-named query parameter: 400, and the query string is never logged.</summary>
    InQuery,
    /// <summary>An Authorization header that is not Basic or Bearer, bad base64, no <c>:</c>: 401.</summary>
    Malformed,
}

/// <summary>Where a credential came from.</summary>
internal enum CredentialSource
{
    None,
    Basic,
    Bearer,
    ApiKeyHeader,
}

/// <summary>
/// The one credential of a request, or why there is none. It points into the header it came from
/// instead of copying it: a Bearer token or key header is a slice, and a Basic password is decoded
/// again into the caller's stack buffer when read (<see cref="Read"/>), so the key path never
/// allocates the secret as a string. <see cref="Value"/> makes the string where one is needed (a
/// JWT's validation cache, the console).
/// </summary>
internal readonly struct Credential
{
    /// <summary>Longest Basic password read from a stack buffer; longer ones are read into a string.</summary>
    public const int StackLength = 512;

    public static readonly Credential Missing = new(CredentialStatus.None, CredentialSource.None, null, 0, 0);
    public static readonly Credential AmbiguousCredential = new(CredentialStatus.Ambiguous, CredentialSource.None, null, 0, 0);
    public static readonly Credential QueryCredential = new(CredentialStatus.InQuery, CredentialSource.None, null, 0, 0);
    public static readonly Credential MalformedCredential = new(CredentialStatus.Malformed, CredentialSource.None, null, 0, 0);

    // _text[_start.._start+_length] is the credential (Bearer, key header) or its base64 (Basic, where
    // the password starts _skip bytes into the decoded text).
    private readonly string? _text;
    private readonly int _start;
    private readonly int _length;
    private readonly int _skip;
    private readonly bool _jwt;

    private Credential(CredentialStatus status, CredentialSource source, string? text, int start, int length, int skip = 0, bool? jwt = null)
    {
        Status = status;
        Source = source;
        _text = text;
        _start = start;
        _length = length;
        _skip = skip;
        _jwt = jwt ?? (text is not null && IsJwt(text.AsSpan(start, length)));
    }

    /// <summary>A whole string as the credential (a key header, a key typed into the console).</summary>
    public Credential(CredentialStatus status, string value, CredentialSource source)
        : this(status, source, value, 0, value.Length)
    {
    }

    /// <summary>A slice of <paramref name="header"/> as the credential (a Bearer token).</summary>
    public static Credential Slice(string header, int start, CredentialSource source) =>
        new(CredentialStatus.Present, source, header, start, header.Length - start);

    /// <summary>A Basic header whose base64 starts at <paramref name="start"/>; the password <paramref name="skip"/> bytes into the decoded text.</summary>
    public static Credential Basic(string header, int start, int skip, bool isJwt) =>
        new(CredentialStatus.Present, CredentialSource.Basic, header, start, header.Length - start, skip, isJwt);

    public CredentialStatus Status { get; }

    public CredentialSource Source { get; }

    /// <summary>An upper bound of the credential's length in characters.</summary>
    public int MaxLength => Source == CredentialSource.Basic ? _length / 4 * 3 : _length;

    /// <summary>
    /// The credential's text: a slice of its header, or the Basic password decoded into
    /// <paramref name="buffer"/> (at least <see cref="MaxLength"/> long). Empty when there is none.
    /// </summary>
    public ReadOnlySpan<char> Read(Span<char> buffer)
    {
        if (_text is null)
        {
            return default;
        }

        if (Source != CredentialSource.Basic)
        {
            return _text.AsSpan(_start, _length);
        }

        // Validated when extracted: the same decoding gives the same bytes again.
        var encoded = _text.AsSpan(_start, _length);
        Span<byte> ascii = encoded.Length <= StackLength ? stackalloc byte[encoded.Length] : new byte[encoded.Length];
        Span<byte> decoded = encoded.Length <= StackLength ? stackalloc byte[encoded.Length] : new byte[encoded.Length];
        TryDecodeBase64(encoded, ascii, decoded, out var written);
        System.Text.Ascii.ToUtf16(decoded[_skip..written], buffer, out var chars);
        return buffer[..chars];
    }

    /// <summary>
    /// The one decoding of a Basic header's base64, for the check at extraction and every read after:
    /// ASCII only, into <paramref name="decoded"/>; <paramref name="ascii"/> and <paramref name="decoded"/>
    /// are scratch at least as long as <paramref name="encoded"/>.
    /// </summary>
    public static bool TryDecodeBase64(ReadOnlySpan<char> encoded, Span<byte> ascii, Span<byte> decoded, out int written)
    {
        written = 0;
        // Narrowed in one vectorized pass; anything outside ASCII is not base64 and is refused.
        if (System.Text.Ascii.FromUtf16(encoded, ascii, out _) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        return System.Buffers.Text.Base64.DecodeFromUtf8(ascii[..encoded.Length], decoded, out _, out written) == System.Buffers.OperationStatus.Done;
    }

    /// <summary>The credential as a new string, or null when there is none.</summary>
    public string? Value
    {
        get
        {
            if (_text is null)
            {
                return null;
            }

            if (Source != CredentialSource.Basic)
            {
                return _start == 0 && _length == _text.Length ? _text : _text.Substring(_start, _length);
            }

            var buffer = new char[MaxLength];
            return new string(Read(buffer));
        }
    }

    /// <summary>The same credential text as <paramref name="other"/>, compared without copying either.</summary>
    public bool SameAs(in Credential other)
    {
        Span<char> mine = MaxLength <= StackLength ? stackalloc char[StackLength] : new char[MaxLength];
        Span<char> theirs = other.MaxLength <= StackLength ? stackalloc char[StackLength] : new char[other.MaxLength];
        return Read(mine).SequenceEqual(other.Read(theirs));
    }

    /// <summary>
    /// Whether this is the credential <paramref name="other"/> read from the very same header string
    /// (the same instance, the same slice): then everything derived from one holds for the other.
    /// </summary>
    internal bool IsSameReading(in Credential other) =>
        _text is not null && ReferenceEquals(_text, other._text) && _start == other._start && _length == other._length
        && _skip == other._skip && Source == other.Source && Status == other.Status && _jwt == other._jwt;

    /// <summary>The header string this credential was read from (null when there is none).</summary>
    internal string? Header => _text;

    /// <summary>Three base64url segments separated by dots: a JWT, for the federation path.</summary>
    public bool IsJwtShaped => _jwt;

    public static bool IsJwt(ReadOnlySpan<char> value)
    {
        // Keys and access tokens have no dot: one vectorized search settles them.
        if (!value.Contains('.'))
        {
            return false;
        }

        var segments = 0;
        var length = 0;
        foreach (var c in value)
        {
            if (c == '.')
            {
                if (length == 0)
                {
                    return false;
                }

                segments++;
                length = 0;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                length++;
            }
            else
            {
                return false;
            }
        }

        // A JWS may have an empty third segment only when unsigned; it is still JWT-shaped (and refused later).
        return segments == 2;
    }
}
