CREATE TABLE tasks (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id),
  title      text NOT NULL,
  done       boolean NOT NULL DEFAULT false
);
