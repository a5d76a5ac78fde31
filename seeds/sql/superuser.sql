-- The one fixed account every environment has, on top of the generated users.
INSERT INTO users (email, full_name, is_superuser, is_active, created_at)
VALUES ('admin@example.com', 'Dev Admin', true, true, timestamptz '2025-01-01 00:00:00+00');
