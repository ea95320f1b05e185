using System.Collections.Frozen;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using GraphQLParser;

namespace Gateway.GraphQL.Scope;

internal static partial class GraphQlScopeExtractor
{
    /// <summary>
    /// A request's variables by name, built once per document when there are more than a few: the
    /// walker resolves a variable for every argument or input field that names one (the SDK's
    /// UpsertBucket: nineteen), and <see cref="JsonElement.TryGetProperty(ReadOnlySpan{char}, out JsonElement)"/>
    /// scans the object each time. Names match on the body's raw UTF-8 (GraphQL variable names are
    /// ASCII); a name the body wrote with escapes is not indexed, and a miss then falls back to
    /// TryGetProperty itself, so the answer is always TryGetProperty's. The body was parsed with
    /// duplicate properties refused: one property per name.
    /// </summary>
    private sealed class VariableLookup
    {
        private const int MinProperties = 8;
        private static readonly System.Buffers.ArrayPool<JsonProperty> Properties = System.Buffers.ArrayPool<JsonProperty>.Shared;
        private readonly JsonElement _variables;
        private readonly JsonProperty[] _properties;
        private readonly int[] _slots;
        private readonly int _mask;
        private readonly bool _hasEscapedNames;

        private VariableLookup(JsonElement variables, int count)
        {
            _variables = variables;
            _properties = Properties.Rent(count);
            var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count * 2);
            _slots = System.Buffers.ArrayPool<int>.Shared.Rent(size);
            Array.Clear(_slots, 0, size);
            _mask = size - 1;
            var i = 0;
            foreach (var property in variables.EnumerateObject())
            {
                var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
                if (raw.Contains((byte)'\\'))
                {
                    _hasEscapedNames = true;
                    continue;
                }

                _properties[i] = property;
                var slot = (int)Hash(raw) & _mask;
                while (_slots[slot] != 0)
                {
                    slot = (slot + 1) & _mask;
                }

                _slots[slot] = ++i;
            }
        }

        public static VariableLookup? Build(JsonElement variables)
        {
            var count = variables.GetPropertyCount();
            return count < MinProperties ? null : new VariableLookup(variables, count);
        }

        public bool TryGet(ReadOnlySpan<char> name, out JsonElement value)
        {
            if (System.Text.Ascii.IsValid(name))
            {
                for (var slot = (int)Hash(name) & _mask; _slots[slot] != 0; slot = (slot + 1) & _mask)
                {
                    var property = _properties[_slots[slot] - 1];
                    if (System.Text.Ascii.Equals(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property), name))
                    {
                        value = property.Value;
                        return true;
                    }
                }

                if (!_hasEscapedNames)
                {
                    value = default;
                    return false;
                }
            }

            return _variables.TryGetProperty(name, out value);
        }

        public void Release()
        {
            Properties.Return(_properties, clearArray: true);
            System.Buffers.ArrayPool<int>.Shared.Return(_slots);
        }

        // FNV-1a over the name's low bytes: the raw UTF-8 name and the variable's (ASCII) chars hash the same.
        private static uint Hash<T>(ReadOnlySpan<T> name)
            where T : unmanaged, System.Numerics.IBinaryInteger<T>
        {
            var hash = 2166136261u;
            foreach (var unit in name)
            {
                hash = (hash ^ byte.CreateTruncating(unit)) * 16777619u;
            }

            return hash;
        }
    }
}
