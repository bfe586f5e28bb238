-- Which departments a session is for (seed 001's table: days and the departments
-- photographed on each). A session with no departments listed is open to every
-- department (e.g. the weekend days, where in-service students of any department come).
-- Where the campaign allows it, a student may also be registered for another session
-- of the table.

CREATE TABLE onsite_session_departments (
    session_id     BIGINT NOT NULL REFERENCES onsite_sessions (id),
    department_id  BIGINT NOT NULL REFERENCES departments (id),
    PRIMARY KEY (session_id, department_id)
);
