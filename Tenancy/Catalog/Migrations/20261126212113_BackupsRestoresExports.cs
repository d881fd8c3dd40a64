using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TenantAspire.Tenancy.Catalog.Migrations
{
    /// <inheritdoc />
    public partial class BackupsRestoresExports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "kind",
                table: "tenant_operations",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(16)",
                oldMaxLength: 16);

            migrationBuilder.CreateTable(
                name: "backup_passes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    trigger = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    considered = table.Column<int>(type: "integer", nullable: false),
                    backed_up = table.Column<int>(type: "integer", nullable: false),
                    unchanged = table.Column<int>(type: "integer", nullable: false),
                    not_due = table.Column<int>(type: "integer", nullable: false),
                    failed = table.Column<int>(type: "integer", nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_backup_passes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tenant_backups",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_slug = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    tier = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    server = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    database_name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    blob_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    schema_version = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: true),
                    row_counts = table.Column<string>(type: "jsonb", nullable: false),
                    write_counter = table.Column<long>(type: "bigint", nullable: false),
                    stats_reset = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    user_writes = table.Column<long>(type: "bigint", nullable: false),
                    duration_ms = table.Column<int>(type: "integer", nullable: false),
                    trigger = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    tenant_deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    drilled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    drill_outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    drill_error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenant_backups", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tenant_exports",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_slug = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    blob_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    bytes = table.Column<long>(type: "bigint", nullable: true),
                    sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    requested_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenant_exports", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tenant_restores",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_slug = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    backup_id = table.Column<Guid>(type: "uuid", nullable: false),
                    source_slug = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    mode = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    server = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    phase = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    new_database = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    previous_database = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: true),
                    undo_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    rows_verified = table.Column<long>(type: "bigint", nullable: false),
                    pause_ms = table.Column<int>(type: "integer", nullable: true),
                    requested_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    swapped_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenant_restores", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_backup_passes_started_at",
                table: "backup_passes",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "ix_tenant_backups_tenant_id_created_at",
                table: "tenant_backups",
                columns: new[] { "tenant_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_tenant_exports_tenant_id_state",
                table: "tenant_exports",
                columns: new[] { "tenant_id", "state" });

            migrationBuilder.CreateIndex(
                name: "ix_tenant_restores_tenant_id",
                table: "tenant_restores",
                column: "tenant_id");
            // One open restore per tenant (the worker and the API both rely on it).
            migrationBuilder.Sql(
                "CREATE UNIQUE INDEX ux_tenant_restores_one_open ON tenant_restores (tenant_id) WHERE phase IN ('Pending', 'Restoring', 'Undoing');");
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS ux_tenant_restores_one_open;");
            migrationBuilder.DropTable(
                name: "backup_passes");

            migrationBuilder.DropTable(
                name: "tenant_backups");

            migrationBuilder.DropTable(
                name: "tenant_exports");

            migrationBuilder.DropTable(
                name: "tenant_restores");

            migrationBuilder.AlterColumn<string>(
                name: "kind",
                table: "tenant_operations",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(32)",
                oldMaxLength: 32);
        }
    }
}
