-- In-service students (issue 7, seed 001): the roster's 学习方式 marks a student as
-- in-service (非全日制, 在职), and a session may be open to in-service students of any
-- department besides the departments it is for (seed 001's weekend days: 其他学院在职同学
-- 如所在院系规定时间不方便，可选择在11月4-5日来校进行图像采集).

ALTER TABLE students ADD COLUMN in_service BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE onsite_sessions ADD COLUMN in_service_open BOOLEAN NOT NULL DEFAULT FALSE;
