-- Ad-hoc: how much bigger was Black Friday week than the four weeks before it, per year?
with daily as (
    select order_date, sum(amount) as revenue
    from {{ ref('orders') }}
    where is_revenue
    group by order_date
)
select
    year(order_date) as year,
    sum(revenue) filter (where order_date between make_date(year(order_date), 11, 24) and make_date(year(order_date), 11, 30)) as black_friday_week,
    sum(revenue) filter (where order_date between make_date(year(order_date), 10, 27) and make_date(year(order_date), 11, 23)) / 4 as avg_week_before
from daily
group by 1
order by 1
