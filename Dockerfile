# Multi-stage build: SDK to publish, ASP.NET runtime to run, as a non-root user.
# tests/Gateway.Tests/Functional/PublishTests.cs runs the same publish command (no container engine runs in CI).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish gateway/Gateway.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /srv
COPY --from=build /app /app
COPY gateway.json /srv/gateway.json
# The aspnet image ships the non-root user "app"; the store, its lock file and the bootstrap key live in /srv/data.
RUN mkdir -p /srv/data && chown -R app:app /srv/data
USER app
VOLUME ["/srv/data"]
# Inside a container 127.0.0.1 is unreachable from outside: bind the admin listener on all interfaces
# and publish port 5081 only on a private network.
ENV Gateway__Admin__Urls=http://0.0.0.0:5081
EXPOSE 5080 5081
ENTRYPOINT ["dotnet", "/app/Gateway.dll"]
