# Multi-stage build: SDK to publish, ASP.NET runtime to run, as a non-root user.
# tests/Gateway.Tests/Functional/PublishTests.cs runs this stage's RUN steps in order (no container engine runs in CI).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone: this layer is reused until a project file changes.
COPY Directory.Build.props ./
COPY gateway/Gateway.csproj gateway/
COPY policy/Policy.csproj policy/
RUN dotnet restore gateway/Gateway.csproj -r linux-x64 -p:PublishReadyToRun=true
COPY . .
# ReadyToRun: precompiled code, so a fresh replica serves at full speed at once instead of after
# 80-140 s of tier-up on 2 cores (about 50 s, measured: loadtests/README.md section 9).
RUN dotnet publish gateway/Gateway.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /srv
COPY --from=build /app /app
COPY gateway.json /srv/gateway.json
# The aspnet image ships the non-root user "app"; the store, its lock file and the bootstrap key live in /srv/data.
RUN mkdir -p /srv/data && chown -R app:app /srv/data
USER app
VOLUME ["/srv/data"]
# The image's ASPNETCORE_HTTP_PORTS=8080 would make Kestrel warn "Overriding address(es)" at every
# start: the gateway binds its own listeners (Gateway:Proxy:Urls, Gateway:Admin:Urls).
ENV ASPNETCORE_HTTP_PORTS=
# Inside a container 127.0.0.1 is unreachable from outside: bind the admin listener on all interfaces
# and publish port 5081 only on a private network.
ENV Gateway__Admin__Urls=http://0.0.0.0:5081
EXPOSE 5080 5081
ENTRYPOINT ["dotnet", "/app/Gateway.dll"]
