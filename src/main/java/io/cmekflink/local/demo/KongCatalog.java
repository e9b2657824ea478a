package io.cmekflink.local.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Kong entities of one org that generated entries refer to: a workspace with its services,
 * routes and consumers. Entity fields are not sensitive, except the consumer identity.
 */
final class KongCatalog {

    record ServiceDef(
            String id,
            String name,
            String host,
            int port,
            String protocol,
            String path,
            int retries,
            int timeout,
            long createdAt) {}

    record RouteDef(
            String id,
            String name,
            String path,
            List<String> methods,
            List<String> protocols,
            String resourcePrefix,
            ServiceDef service,
            long createdAt) {}

    /** A consumer, whose username, custom id and lower-case username are sensitive. */
    record ConsumerDef(
            String id,
            String credentialId,
            String username,
            String customId,
            String usernameLower,
            List<String> tags,
            long createdAt) {}

    private record ServiceTemplate(
            String name,
            String host,
            int port,
            String protocol,
            String path,
            RouteTemplate route) {}

    private record RouteTemplate(
            String name, String path, List<String> methods, String resourcePrefix) {}

    private static final List<ServiceTemplate> SERVICES =
            List.of(
                    new ServiceTemplate(
                            "orders",
                            "orders.svc.cluster.local",
                            8080,
                            "http",
                            "/",
                            new RouteTemplate(
                                    "orders-api",
                                    "/v2/orders",
                                    List.of("GET", "POST", "PUT", "DELETE"),
                                    "ord_")),
                    new ServiceTemplate(
                            "users",
                            "users.svc.cluster.local",
                            8080,
                            "http",
                            "/api",
                            new RouteTemplate("users-api", "/v1/users", null, "usr_")),
                    new ServiceTemplate(
                            "search",
                            "search.svc.cluster.local",
                            9000,
                            "http",
                            "/",
                            new RouteTemplate("search", "/search", List.of("GET"), "idx_")),
                    new ServiceTemplate(
                            "files",
                            "files-gateway.internal",
                            443,
                            "https",
                            "/store",
                            new RouteTemplate(
                                    "uploads", "/files", List.of("GET", "POST", "PUT"), "fil_")));

    /** Consumer names with non-ASCII text, to which each consumer adds a random suffix. */
    private static final List<String> USERNAMES =
            List.of(
                    "mika.tanaka",
                    "山田太郎",
                    "José Müller",
                    "Zoë Åström",
                    "🦊fox",
                    "Ølaf",
                    "partner-app",
                    "Дмитрий");

    private static final List<String> WORKSPACE_NAMES =
            List.of("default", "équipe-paris", "payments", "東京チーム");

    final String orgId;
    final String workspaceId;
    final String workspaceName;
    final boolean enterprise;
    final String apiHost;
    final List<ServiceDef> services = new ArrayList<>();
    final List<RouteDef> routes = new ArrayList<>();
    final List<ConsumerDef> consumers = new ArrayList<>();

    KongCatalog(String orgId, DemoRandom random, long firstStartedAtMillis) {
        this.orgId = orgId;
        this.workspaceId = random.uuid();
        this.workspaceName = random.pick(WORKSPACE_NAMES);
        this.enterprise = random.chance(0.5);
        this.apiHost = "api-" + random.between(1, 99) + ".gateway.example.com";
        long createdAt = firstStartedAtMillis / 1000 - random.between(86_400, 90 * 86_400);
        for (ServiceTemplate template : SERVICES) {
            ServiceDef service =
                    new ServiceDef(
                            random.uuid(),
                            template.name(),
                            template.host(),
                            template.port(),
                            template.protocol(),
                            template.path(),
                            random.between(0, 5),
                            random.pick(List.of(5_000, 30_000, 60_000)),
                            createdAt);
            services.add(service);
            RouteTemplate route = template.route();
            routes.add(
                    new RouteDef(
                            random.uuid(),
                            route.name(),
                            route.path(),
                            route.methods(),
                            random.chance(0.5) ? List.of("http", "https") : List.of("https"),
                            route.resourcePrefix(),
                            service,
                            createdAt + 60));
        }
        for (int i = 0; i < 6; i++) {
            consumers.add(consumer(random, createdAt + 3600L * i));
        }
    }

    private ConsumerDef consumer(DemoRandom random, long createdAt) {
        String username = random.pick(USERNAMES) + "-" + random.token(8);
        String customId = random.chance(0.6) ? "crm-" + random.token(10) : null;
        String usernameLower = enterprise ? username.toLowerCase(Locale.ROOT) : null;
        List<String> tags =
                switch (random.nextInt(3)) {
                    case 0 -> List.of();
                    case 1 -> List.of("tier-gold");
                    default -> null;
                };
        return new ConsumerDef(
                random.uuid(), random.uuid(), username, customId, usernameLower, tags, createdAt);
    }
}
