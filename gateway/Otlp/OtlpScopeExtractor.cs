using System.Text;
using Gateway.BodyScope;
using Gateway.Policy.Model;
using Gateway.Weave;
using Google.Protobuf;

namespace Gateway.Otlp;

/// <summary>
/// OTLP/HTTP trace export (protobuf): the project comes from the <c>project_id</c> header and from
/// every <c>ResourceSpans</c>' resource attributes <c>wandb.entity</c> / <c>wandb.project</c>, each
/// authorized (write); string attribute values anywhere (resource, spans, events, links, nested
/// arrays and key-value lists) are scanned for Weave refs to other projects (read). Field numbers are
/// those of opentelemetry-proto (shared/reference/weave-refs-and-otlp.md §2.6):
/// <code>
/// ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
/// ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
/// Resource      { repeated KeyValue attributes = 1; }
/// ScopeSpans    { InstrumentationScope scope = 1; repeated Span spans = 2; }
/// Span          { repeated KeyValue attributes = 9; repeated Event events = 11; repeated Link links = 13; }
/// Event         { repeated KeyValue attributes = 3; }   Link { repeated KeyValue attributes = 5; }
/// KeyValue      { string key = 1; AnyValue value = 2; }
/// AnyValue      { oneof { string string_value = 1; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; ... } }
/// ArrayValue    { repeated AnyValue values = 1; }       KeyValueList { repeated KeyValue values = 1; }
/// </code>
/// Every message and string read here is length-delimited; fields of other wire types and other
/// numbers are skipped. Parsing is strict: a malformed message is a 400, never forwarded.
/// </summary>
internal static class OtlpScopeExtractor
{
    /// <summary>Nesting of attribute values (arrays and key-value lists) below an attribute.</summary>
    private const int MaxValueDepth = 12;
    public const string ProjectHeader = "project_id";

    public static List<ScopeReference> Extract(ReadOnlyMemory<byte> body, string? headerProjectId)
    {
        (string Entity, string Project)? header = headerProjectId is null ? null : ProjectId.Parse(headerProjectId, ProjectHeader);
        var references = new List<ScopeReference>();
        try
        {
            Fields(ByteString.CopyFrom(body.Span), (number, resourceSpans) =>
            {
                if (number == 1)
                {
                    ResourceSpans(resourceSpans, header, references);
                }
            });
        }
        catch (InvalidProtocolBufferException)
        {
            throw Malformed();
        }

        if (references.Count == 0 && header is { } only)
        {
            // No spans at all, or only refs: the header's project is still what the export writes to.
            references.Add(new ScopeReference(only.Entity, only.Project, AccessAction.Write));
        }

        if (!references.Any(r => r.Action == AccessAction.Write))
        {
            throw new BodyScopeException(400, BodyScopeCodes.ScopeNotFound, "Name the project in the project_id header or the wandb.entity and wandb.project resource attributes.");
        }

        return references;
    }

    // Calls visit with the number and bytes of every length-delimited field of a message, in order.
    private static void Fields(ByteString message, Action<int, ByteString> visit)
    {
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                visit(WireFormat.GetTagFieldNumber(tag), input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        }
    }

    private static void ResourceSpans(ByteString message, (string Entity, string Project)? header, List<ScopeReference> references)
    {
        string? entity = null;
        string? project = null;
        Fields(message, (number, field) =>
        {
            switch (number)
            {
                case 1:
                    Fields(field, (n, attribute) =>
                    {
                        if (n == 1)
                        {
                            Resource(attribute, ref entity, ref project, references);
                        }
                    });
                    break;
                case 2:
                    Fields(field, (n, span) =>
                    {
                        if (n == 2)
                        {
                            Span(span, references);
                        }
                    });
                    break;
            }
        });

        if ((entity is null) != (project is null))
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, "A resource names both wandb.entity and wandb.project, or neither.");
        }

        if (entity is not null)
        {
            var (e, p) = ProjectId.Of(entity, project, "wandb.entity/wandb.project");
            if (header is { } h && (h.Entity != e || h.Project != p))
            {
                throw new BodyScopeException(400, BodyScopeCodes.ScopeConflict, "The project_id header and the resource attributes name different projects.");
            }

            references.Add(new ScopeReference(e, p, AccessAction.Write));
        }
        else if (header is { } h)
        {
            references.Add(new ScopeReference(h.Entity, h.Project, AccessAction.Write));
        }
        else
        {
            throw new BodyScopeException(400, BodyScopeCodes.ScopeNotFound, "Spans without wandb.entity and wandb.project need the project_id header.");
        }
    }

    // One resource attribute: wandb.entity and wandb.project are remembered (once each, as strings).
    private static void Resource(ByteString attribute, ref string? entity, ref string? project, List<ScopeReference> references)
    {
        var (key, value) = KeyValue(attribute, references);
        if (key is not ("wandb.entity" or "wandb.project"))
        {
            return;
        }

        if ((key == "wandb.entity" ? entity : project) is not null)
        {
            throw new BodyScopeException(400, BodyScopeCodes.ScopeConflict, $"The resource names {key} twice.");
        }

        var text = value ?? throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"{key} must be a string value.");
        if (key == "wandb.entity")
        {
            entity = text;
        }
        else
        {
            project = text;
        }
    }

    // A span's attributes (9), and those of its events (11 → 3) and links (13 → 5), scanned for refs.
    private static void Span(ByteString span, List<ScopeReference> references)
        => Fields(span, (number, field) =>
        {
            var attributes = number switch { 9 => 0, 11 => 3, 13 => 5, _ => -1 };
            if (attributes == 0)
            {
                KeyValue(field, references);
            }
            else if (attributes > 0)
            {
                Fields(field, (n, attribute) =>
                {
                    if (n == attributes)
                    {
                        KeyValue(attribute, references);
                    }
                });
            }
        });

    private static (string? Key, string? StringValue) KeyValue(ByteString message, List<ScopeReference> references, int depth = 0)
    {
        string? key = null;
        string? value = null;
        Fields(message, (number, field) =>
        {
            switch (number)
            {
                case 1:
                    key = Utf8(field);
                    break;
                case 2:
                    value = AnyValue(field, references, depth + 1);
                    break;
            }
        });

        return (key, value);
    }

    // Returns the string value (if that is what it holds); scans every string below it for refs.
    private static string? AnyValue(ByteString message, List<ScopeReference> references, int depth)
    {
        if (depth > MaxValueDepth)
        {
            throw new BodyScopeException(400, WeaveCodes.InvalidProtobuf, $"Attribute values nest deeper than {MaxValueDepth}.");
        }

        string? text = null;
        // AnyValue's members form a oneof: protobuf keeps the last one on the wire, whatever its wire
        // type (a string_value followed by an int_value is an int). Only when the last member is
        // string_value is this value a string.
        var last = 0;
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var member = WireFormat.GetTagFieldNumber(tag);
            if (member is >= 1 and <= 7)
            {
                // A member on another wire type than its own is read differently by different
                // protobuf runtimes (unknown field, or an error): refused.
                var expected = member switch
                {
                    2 or 3 => WireFormat.WireType.Varint,
                    4 => WireFormat.WireType.Fixed64,
                    _ => WireFormat.WireType.LengthDelimited,
                };
                if (WireFormat.GetTagWireType(tag) != expected)
                {
                    throw Malformed();
                }

                last = member;
            }

            if (WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            {
                input.SkipLastField();
            }
            else
            {
                input.ReadBytes();
            }
        }

        Fields(message, (number, field) =>
        {
            switch (number)
            {
                case 1:
                    text = Utf8(field);
                    if (text.Contains("://", StringComparison.Ordinal))
                    {
                        WeaveRefs.Scan(text, references);
                    }

                    break;
                case 5:
                    // ArrayValue { AnyValue values = 1 }.
                    Fields(field, (n, item) =>
                    {
                        if (n == 1)
                        {
                            AnyValue(item, references, depth + 1);
                        }
                    });
                    break;
                case 6:
                    // KeyValueList { KeyValue values = 1 }.
                    Fields(field, (n, item) =>
                    {
                        if (n == 1)
                        {
                            KeyValue(item, references, depth + 1);
                        }
                    });
                    break;
            }
        });

        return last == 1 ? text : null;
    }

    // Strict UTF-8: a string two parsers could decode differently is refused.
    private static string Utf8(ByteString bytes)
        => System.Text.Unicode.Utf8.IsValid(bytes.Span) ? Encoding.UTF8.GetString(bytes.Span) : throw Malformed();

    private static BodyScopeException Malformed() => new(400, WeaveCodes.InvalidProtobuf, "The body is not a valid OTLP ExportTraceServiceRequest.");
}
