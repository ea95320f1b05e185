using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace Gateway.Benchmarks;

/// <summary>The key hash: the platform's SHA-256 (OpenSSL on Linux) against the gateway's managed one, for a 52-byte key.</summary>
[MemoryDiagnoser]
public class Sha256Benchmarks
{
    private readonly byte[] _key = Encoding.ASCII.GetBytes("mlgw_live_AbCdEfGhIjKl_MnOpQrStUvWxYz0123456789abcdef");
    private readonly byte[] _hash = new byte[32];

    [Benchmark(Baseline = true)]
    public int Platform() => SHA256.HashData(_key, _hash);

    [Benchmark]
    public int Managed()
    {
        Keys.Sha256.Hash(_key, _hash);
        return 32;
    }
}
