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
/// Parsing is strict: a malformed message is a 400, never forwarded.
/// </summary>
internal static class OtlpScopeExtractor
{
    private const int MaxDepth = 16;
    public const string ProjectHeader = "project_id";

    public static List<ScopeReference> Extract(ReadOnlyMemory<byte> body, string? headerProjectId)
    {
        (string Entity, string Project)? header = headerProjectId is null ? null : ProjectId.Parse(headerProjectId, ProjectHeader);
        var references = new List<ScopeReference>();
        try
        {
            var input = new CodedInputStream(body.ToArray());
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 1 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    ResourceSpans(input.ReadBytes(), header, references);
                }
                else
                {
                    input.SkipLastField();
                }
            }
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

    private static void ResourceSpans(ByteString bytes, (string Entity, string Project)? header, List<ScopeReference> references)
    {
        string? entity = null;
        string? project = null;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag), WireFormat.GetTagWireType(tag))
            {
                case (1, WireFormat.WireType.LengthDelimited):
                    Resource(input.ReadBytes(), ref entity, ref project, references);
                    break;
                case (2, WireFormat.WireType.LengthDelimited):
                    // ScopeSpans: spans = 2 → attributes 9, events 11 (attributes 3), links 13 (attributes 5).
                    Walk(input.ReadBytes(), references, 1, (2, [(9, null), (11, 3), (13, 5)]));
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

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

    private static void Resource(ByteString bytes, ref string? entity, ref string? project, List<ScopeReference> references)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                var (key, value) = KeyValue(input.ReadBytes(), references, 1);
                if (key is "wandb.entity" or "wandb.project")
                {
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
            }
            else
            {
                input.SkipLastField();
            }
        }
    }

    // Walks a message whose field `spans` holds messages with attribute fields (span attributes directly,
    // events and links one level down), scanning every KeyValue for refs.
    private static void Walk(ByteString bytes, List<ScopeReference> references, int depth, (int Spans, (int Field, int? Attributes)[] Children) shape)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == shape.Spans && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                Span(input.ReadBytes(), references, depth + 1, shape.Children);
            }
            else
            {
                input.SkipLastField();
            }
        }
    }

    private static void Span(ByteString bytes, List<ScopeReference> references, int depth, (int Field, int? Attributes)[] children)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var number = WireFormat.GetTagFieldNumber(tag);
            var child = Array.Find(children, c => c.Field == number);
            if (child != default && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                if (child.Attributes is null)
                {
                    KeyValue(input.ReadBytes(), references, depth + 1);
                }
                else
                {
                    Span(input.ReadBytes(), references, depth + 1, [(child.Attributes.Value, null)]);
                }
            }
            else
            {
                input.SkipLastField();
            }
        }
    }

    private static (string? Key, string? StringValue) KeyValue(ByteString bytes, List<ScopeReference> references, int depth)
    {
        string? key = null;
        string? value = null;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag), WireFormat.GetTagWireType(tag))
            {
                case (1, WireFormat.WireType.LengthDelimited):
                    key = ReadString(input);
                    break;
                case (2, WireFormat.WireType.LengthDelimited):
                    value = AnyValue(input.ReadBytes(), references, depth + 1);
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return (key, value);
    }

    // Returns the string value (if that is what it holds); scans every string below it for refs.
    private static string? AnyValue(ByteString bytes, List<ScopeReference> references, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new BodyScopeException(400, WeaveCodes.InvalidProtobuf, $"Attribute values nest deeper than {MaxDepth}.");
        }

        string? text = null;
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag), WireFormat.GetTagWireType(tag))
            {
                case (1, WireFormat.WireType.LengthDelimited):
                    text = ReadString(input);
                    if (text.Contains("://", StringComparison.Ordinal))
                    {
                        WeaveRefs.Scan(text, references);
                    }

                    break;
                case (5 or 6, WireFormat.WireType.LengthDelimited):
                    // ArrayValue { AnyValue values = 1 } and KeyValueList { KeyValue values = 1 }.
                    var isList = WireFormat.GetTagFieldNumber(tag) == 6;
                    var inner = input.ReadBytes().CreateCodedInput();
                    uint innerTag;
                    while ((innerTag = inner.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(innerTag) == 1 && WireFormat.GetTagWireType(innerTag) == WireFormat.WireType.LengthDelimited)
                        {
                            if (isList)
                            {
                                KeyValue(inner.ReadBytes(), references, depth + 1);
                            }
                            else
                            {
                                AnyValue(inner.ReadBytes(), references, depth + 1);
                            }
                        }
                        else
                        {
                            inner.SkipLastField();
                        }
                    }

                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return text;
    }

    // Strict UTF-8: a string two parsers could decode differently is refused.
    private static string ReadString(CodedInputStream input)
    {
        var bytes = input.ReadBytes();
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
        {
            throw Malformed();
        }

        return Encoding.UTF8.GetString(bytes.Span);
    }

    private static BodyScopeException Malformed() => new(400, WeaveCodes.InvalidProtobuf, "The body is not a valid OTLP ExportTraceServiceRequest.");
}
