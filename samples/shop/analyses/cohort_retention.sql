-- Share of each monthly signup cohort that ordered again within 90 days of their first order.
select
    date_trunc('month', c.first_order_date) as cohort_month,
    count(*) as customers,
    count(*) filter (where exists (
        select 1
        from {{ ref('orders') }} as o
        where o.customer_id = c.customer_id
          and o.is_revenue
          and o.order_date > c.first_order_date
          and o.order_date <= c.first_order_date + interval 90 day
    )) as returned_within_90d
from {{ ref('customers') }} as c
where c.first_order_date is not null
group by 1
order by 1
